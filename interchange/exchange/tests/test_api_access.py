"""Who may use the supplier API: a supplier system's key, in the header, within its rate
limit; and each supplier only on its own tickets (another's is 404 on every operation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from interchange.accounts.services import api_key_revoke, api_key_rotate
from interchange.exchange.tests.api_helpers import World, call, is_problem, world_fixture  # noqa: F401
from interchange.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

# Every operation, with a body that would be accepted on the caller's own ticket.
OPERATIONS = [
    ("GET", "", None),
    ("GET", "/notes", None),
    ("POST", "/acknowledge", None),
    ("POST", "/notes", {"text": "Hello"}),
    ("POST", "/status", {"status": "in_progress"}),
    ("PUT", "/supplier-reference", {"supplierReference": "X-1"}),
    ("POST", "/handback", {"reason": "Not ours"}),
    ("POST", "/attachments", "file"),
]


def _send(client, world: World, method: str, suffix: str, body, ticket: Ticket, secret: str):
    path = f"/tickets/{ticket.reference}{suffix}"
    if body == "file":
        upload = SimpleUploadedFile("note.txt", b"Site visit notes", content_type="text/plain")
        return call(client, method, path, secret, data={"file": upload}, if_match=ticket.version)
    return call(client, method, path, secret, json=body, if_match=ticket.version)


@pytest.mark.parametrize(("method", "suffix", "body"), OPERATIONS)
def test_another_suppliers_ticket_is_404_on_every_operation(
    client, world: World, method: str, suffix: str, body
) -> None:
    response = _send(client, world, method, suffix, body, world.ticket_b, world.secret_a)
    problem = is_problem(response, 404)
    assert world.ticket_b.title not in problem["detail"]
    after = Ticket.objects.get(pk=world.ticket_b.pk)
    assert after.version == world.ticket_b.version
    # And the same request on A's own ticket works: the 404 is about whose ticket it is.
    own = _send(client, world, method, suffix, body, world.ticket_a, world.secret_a)
    assert own.status_code in {200, 201}, own.content


def test_a_missing_ticket_and_another_suppliers_look_the_same(client, world: World) -> None:
    missing = call(client, "GET", "/tickets/INC-999999", world.secret_a)
    theirs = call(client, "GET", f"/tickets/{world.ticket_b.reference}", world.secret_a)
    assert is_problem(missing, 404)["type"] == is_problem(theirs, 404)["type"]


def test_no_key_is_401_with_a_bearer_challenge(client, world: World) -> None:
    response = call(client, "GET", "/tickets", None)
    is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith('Bearer realm="interchange"')


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ick_0123456789_notarealsecretatallreally"]
)
def test_a_malformed_or_unknown_key_is_401(client, world: World, header: str) -> None:
    response = call(client, "GET", "/tickets", None, headers={"Authorization": header})
    is_problem(response, 401)
    assert "WWW-Authenticate" in response


def test_a_revoked_key_is_401(client, world: World) -> None:
    api_key_revoke(actor=world.administrator, key=world.key_a)
    response = call(client, "GET", f"/tickets/{world.ticket_a.reference}", world.secret_a)
    is_problem(response, 401)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_an_expired_key_is_401(client, world: World) -> None:
    _, new_secret = api_key_rotate(actor=world.administrator, key=world.key_a, grace=timedelta(0))
    is_problem(call(client, "GET", "/tickets", world.secret_a), 401)
    world.key_a.refresh_from_db()
    assert world.key_a.expires_at is not None
    assert world.key_a.expires_at <= timezone.now()
    assert call(client, "GET", "/tickets", new_secret).status_code == 200


def test_a_client_applications_open311_key_is_refused(client, world: World) -> None:
    is_problem(call(client, "GET", "/tickets", world.open311_secret), 401)


@pytest.mark.parametrize("parameter", ["api_key", "access_token", "anything"])
def test_a_key_in_the_query_string_is_refused_even_beside_a_good_header(
    client, world: World, parameter: str
) -> None:
    response = call(client, "GET", f"/tickets?{parameter}={world.secret_a}", world.secret_a)
    body = is_problem(response, 400)
    assert "Authorization header" in body["detail"]
    write = call(
        client,
        "POST",
        f"/tickets/{world.ticket_a.reference}/acknowledge?{parameter}={world.secret_a}",
        world.secret_a,
    )
    is_problem(write, 400)
    assert Ticket.objects.get(pk=world.ticket_a.pk).holder_acknowledged_at is None


def test_past_its_rate_limit_a_key_gets_429_with_retry_after(client, world: World) -> None:
    world.key_a.rate_limit_per_minute = 2
    world.key_a.save(update_fields=["rate_limit_per_minute"])
    for _ in range(2):
        assert call(client, "GET", "/tickets", world.secret_a).status_code == 200
    response = call(client, "GET", "/tickets", world.secret_a)
    is_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another supplier's key has its own allowance.
    assert call(client, "GET", "/tickets", world.secret_b).status_code == 200


def test_unknown_addresses_and_methods_answer_with_problems(client, world: World) -> None:
    is_problem(call(client, "GET", "/nothing-here", world.secret_a), 404)
    response = call(client, "DELETE", f"/tickets/{world.ticket_a.reference}", world.secret_a)
    is_problem(response, 405)
    assert response["Allow"] == "GET"
