"""The private link in a resident's email is the one they were given: derived from the ticket
under the site's key (so it can be rebuilt), stored only as its hash, for tickets opened on
the web and through Open311 alike; and it survives a rotation of the key."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from interchange.frontdoor.resident.services import NewReport, report_send
from interchange.frontdoor.tests.open311_world import build_world, media_in, report
from interchange.notifications.tests.conftest import SITE
from interchange.servicedesk.models import Ticket, hash_token
from interchange.servicedesk.selectors import (
    private_token_derive,
    private_token_from_seed,
    ticket_for_private_token,
    ticket_private_token,
)
from interchange.servicedesk.tests.factories import make_provision, make_service, make_ticket

pytestmark = pytest.mark.django_db

PRIVATE = re.compile(r"https?://\S+/my-report/([A-Za-z0-9_-]+)(?=\s)")
URLSAFE = set(string.ascii_letters + string.digits + "-_")


@pytest.fixture
def roads(supplier_a):
    service = make_service("roads", name="Pothole", open311_exposed=True)
    make_provision(service=service, supplier=supplier_a)
    return service


def _emailed_token(address: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [address]]
    [token] = PRIVATE.findall(str(message.body))
    return token


def test_the_token_given_at_opening_is_the_one_rebuilt_and_only_its_hash_is_kept(roads):
    ticket = make_ticket(service=roads, at=timezone.now())
    ticket.refresh_from_db()

    token = ticket_private_token(ticket)

    assert token is not None and len(token) == 43 and set(token) <= URLSAFE
    assert ticket.private_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert ticket_for_private_token(token) == ticket
    assert token not in str(Ticket.objects.filter(pk=ticket.pk).values())


def test_a_web_report_is_emailed_the_link_shown_on_its_confirmation_page(roads, deliver):
    opened = report_send(
        report=NewReport(
            service=roads,
            description="Deep hole",
            answers={},
            address="Corn Street",
            name="Rita Reporter",
            contact="email",
            email="rita@example.org",
        )
    )
    deliver()

    assert _emailed_token("rita@example.org") == opened.private_token


def test_an_open311_report_is_emailed_a_private_link_that_opens_its_own_view(
    administrator, supplier_a, settings, tmp_path, deliver
):
    media_in(settings, tmp_path)
    world = build_world(administrator, supplier_a)
    client = Client()
    created = client.post("/open311/v2/requests.json", report(world))
    assert created.status_code == 201, created.content
    deliver()

    token = _emailed_token("rita@example.org")
    own = client.get(f"/my-report/{token}")
    assert own.status_code == 200
    assert "rita@example.org" in own.content.decode()


def test_links_survive_a_rotation_of_the_sites_key(roads, settings, client, deliver):
    ticket = make_ticket(service=roads, at=timezone.now())
    ticket.refresh_from_db()
    before = ticket_private_token(ticket)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + secrets.token_hex(16)

    assert ticket_private_token(ticket) == before
    deliver()
    token = _emailed_token("rita@example.org")
    assert token == before
    unsubscribe = re.search(rf"{SITE}(/unsubscribe/\S+)", str(mail.outbox[0].body))
    assert unsubscribe is not None
    assert client.get(unsubscribe.group(1)).status_code == 200


def test_without_the_key_the_link_cannot_be_rebuilt(roads, settings):
    ticket = make_ticket(service=roads, at=timezone.now())
    ticket.refresh_from_db()
    settings.SECRET_KEY = "another-site-" + secrets.token_hex(16)

    assert ticket_private_token(ticket) is None


def test_a_ticket_whose_link_was_made_at_random_keeps_it_and_is_emailed_its_public_page(
    roads, deliver, client
):
    ticket = make_ticket(service=roads, at=timezone.now())
    old_token = secrets.token_urlsafe(32)
    Ticket.objects.filter(pk=ticket.pk).update(private_token_hash=hash_token(old_token))
    deliver()

    assert client.get(f"/my-report/{old_token}").status_code == 200
    [message] = mail.outbox
    assert "/my-report/" not in message.body
    assert f"{SITE}/track/{ticket.reference}" in message.body


@given(
    ids=st.lists(st.integers(min_value=1, max_value=10**12), min_size=2, max_size=2, unique=True),
    seconds=st.integers(min_value=0, max_value=2 * 10**9),
)
def test_different_tickets_never_share_a_secret(ids, seconds):
    created = datetime.fromtimestamp(seconds, UTC)
    first, second = (private_token_derive(ticket_id=i, created_at=created) for i in ids)
    later = private_token_derive(ticket_id=ids[0], created_at=created + timedelta(microseconds=1))

    assert len({first, second, later}) == 3
    assert all(len(token) == 43 and set(token) <= URLSAFE for token in (first, second, later))


def test_a_ticket_opened_before_links_had_seeds_is_still_emailed_its_own_link(
    roads, deliver, client
):
    ticket = make_ticket(service=roads, at=timezone.now())
    old_token = private_token_derive(ticket_id=ticket.pk, created_at=ticket.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(
        private_token_seed="", private_token_hash=hash_token(old_token)
    )
    deliver()

    assert _emailed_token("rita@example.org") == old_token
    assert client.get(f"/my-report/{old_token}").status_code == 200


def test_each_ticket_gets_its_own_random_seed_and_the_seed_alone_does_not_make_the_link(roads):
    first, second = (make_ticket(service=roads, at=timezone.now()) for _ in range(2))
    first.refresh_from_db()
    second.refresh_from_db()

    assert first.private_token_seed != second.private_token_seed
    assert len(first.private_token_seed) == 32
    # The seed is stored; the link is its HMAC under the site's key, never the seed itself.
    assert ticket_private_token(first) == private_token_from_seed(first.private_token_seed)
    assert ticket_for_private_token(first.private_token_seed) is None
    assert private_token_from_seed(first.private_token_seed, secret="another-site") != (
        ticket_private_token(first)
    )


@given(seeds=st.lists(st.text(min_size=1, max_size=32), min_size=2, max_size=2, unique=True))
def test_different_seeds_never_share_a_secret(seeds):
    tokens = {private_token_from_seed(seed) for seed in seeds}

    assert len(tokens) == 2
    assert all(len(token) == 43 and set(token) <= URLSAFE for token in tokens)
