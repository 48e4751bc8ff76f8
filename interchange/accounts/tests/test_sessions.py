"""Sessions end after a spell without use and a fixed time after sign-in.

No clock is frozen: the tests move the timestamps the session stores instead.
"""

import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY

from interchange.accounts.middleware import SEEN_PRECISION_S, SESSION_SEEN, SESSION_STARTED
from interchange.testing.people import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, integrator_agent):
    response = client.post(
        "/staff/sign-in", {"username": integrator_agent.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def shift(client, **seconds_ago):
    """Move the session's stored times into the past."""
    session = client.session
    now = int(time.time())
    for name, ago in seconds_ago.items():
        session[{"started": SESSION_STARTED, "seen": SESSION_SEEN}[name]] = now - ago
    session.save()


def test_signing_in_starts_both_clocks(signed_in):
    now = int(time.time())
    assert abs(signed_in.session[SESSION_STARTED] - now) <= 2
    assert signed_in.session[SESSION_SEEN] == signed_in.session[SESSION_STARTED]


def test_a_session_used_within_the_idle_limit_stays_signed_in(signed_in):
    shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT_S - 5)
    assert signed_in.get("/staff/").status_code == 200
    assert abs(signed_in.session[SESSION_SEEN] - time.time()) <= 2


def test_an_idle_session_is_signed_out_with_a_message(signed_in):
    shift(signed_in, seen=settings.SESSION_IDLE_TIMEOUT_S + 1)
    response = signed_in.get("/staff/calendars/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in?next=/staff/calendars/"
    assert SESSION_KEY not in signed_in.session
    html = signed_in.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used the service for 30 minutes." in html


def test_a_session_ends_a_fixed_time_after_sign_in_however_busy(signed_in):
    shift(signed_in, started=settings.SESSION_ABSOLUTE_TIMEOUT_S + 1, seen=10)
    response = signed_in.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/sign-in?next=/staff/"
    assert SESSION_KEY not in signed_in.session
    assert "you are signed out 10 hours after you sign in" in response.content.decode()


def test_the_last_use_is_written_at_most_once_a_minute(signed_in):
    shift(signed_in, seen=SEEN_PRECISION_S - 10)
    stored = signed_in.session[SESSION_SEEN]
    signed_in.get("/staff/")
    assert signed_in.session[SESSION_SEEN] == stored
    shift(signed_in, seen=SEEN_PRECISION_S)
    signed_in.get("/staff/")
    assert signed_in.session[SESSION_SEEN] > stored


def test_signing_in_again_restarts_the_clocks(signed_in, integrator_agent):
    shift(signed_in, started=settings.SESSION_ABSOLUTE_TIMEOUT_S - 60, seen=60)
    signed_in.post("/staff/sign-out")
    signed_in.post("/staff/sign-in", {"username": integrator_agent.username, "password": PASSWORD})
    assert abs(signed_in.session[SESSION_STARTED] - time.time()) <= 2


def test_a_session_signed_in_another_way_gets_its_clocks_on_first_use(client, integrator_agent):
    client.force_login(integrator_agent)
    assert SESSION_STARTED not in client.session
    assert client.get("/staff/").status_code == 200
    assert abs(client.session[SESSION_STARTED] - time.time()) <= 2


def test_signed_out_visitors_get_no_session_clocks(client):
    client.get("/")
    client.get("/staff/sign-in")
    assert SESSION_STARTED not in client.session
