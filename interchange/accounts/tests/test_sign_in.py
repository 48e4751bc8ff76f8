"""Signing in: Argon2 hashes, a new session, lockout after repeated failures, inactive people."""

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session

from interchange.accounts.models import Role, User
from interchange.testing.people import PASSWORD

pytestmark = pytest.mark.django_db

SIGN_IN = "/staff/sign-in"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(SIGN_IN, {"username": username, "password": password}, **extra)


def test_a_new_password_is_hashed_with_argon2(integrator_agent):
    integrator_agent.set_password("a-brand-new-password-2026")
    integrator_agent.save()
    integrator_agent.refresh_from_db()
    assert integrator_agent.password.startswith("argon2$argon2id$")
    assert integrator_agent.check_password("a-brand-new-password-2026")


def test_created_people_get_argon2_hashes_too():
    person = User.objects.create_user(
        "new", role=Role.INTEGRATOR_AGENT, password="another-password-2026"
    )
    assert person.password.startswith("argon2")


def test_staff_and_supplier_people_sign_in_to_the_staff_home(
    client, integrator_agent, supplier_a_agent
):
    for person in (integrator_agent, supplier_a_agent):
        response = sign_in(client, person.username)
        assert response.status_code == 302
        assert response["Location"] == "/staff/"
        assert client.session[SESSION_KEY] == str(person.pk)
        client.post("/staff/sign-out")


def test_signing_in_starts_a_new_session_so_a_planted_one_is_useless(client, integrator_agent):
    planted = client.session
    planted["planted"] = "by someone else"
    planted.save()
    before = planted.session_key
    assert sign_in(client, integrator_agent.username).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_an_inactive_person_cannot_sign_in(client, integrator_agent):
    integrator_agent.is_active = False
    integrator_agent.save()
    response = sign_in(client, integrator_agent.username)
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_person_deactivated_while_signed_in_is_signed_out_on_their_next_request(
    client, integrator_agent
):
    client.force_login(integrator_agent)
    assert client.get("/staff/").status_code == 200
    User.objects.filter(pk=integrator_agent.pk).update(is_active=False)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in")


def test_repeated_failures_lock_the_username_out_with_a_page_saying_when_to_try_again(
    client, integrator_agent
):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert sign_in(client, integrator_agent.username, "wrong").status_code == 200
    response = sign_in(client, integrator_agent.username, "wrong")
    html = response.content.decode()
    assert response.status_code == 429
    assert '<h1 class="govuk-heading-l">You cannot sign in at the moment</h1>' in html
    assert "<title>You cannot sign in at the moment – Interchange" in html
    assert "Wait 15 minutes, then try again. You can sign in after" in html
    assert integrator_agent.username not in html  # nothing to confirm to a guesser


def test_a_locked_out_person_is_refused_even_with_the_right_password(client, integrator_agent):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, integrator_agent.username, "wrong")
    response = sign_in(client, integrator_agent.username)
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_the_lockout_is_for_that_username_from_that_address_only(
    client, integrator_agent, integrator_lead
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, integrator_agent.username, "wrong")
    assert sign_in(client, integrator_lead.username).status_code == 302
    client.post("/staff/sign-out")
    other_address = sign_in(client, integrator_agent.username, REMOTE_ADDR="192.0.2.10")
    assert other_address.status_code == 302


def test_signing_in_clears_earlier_failures(client, integrator_agent):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, integrator_agent.username, "wrong")
    assert sign_in(client, integrator_agent.username).status_code == 302
    client.post("/staff/sign-out")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, integrator_agent.username, "wrong").status_code == 200


def test_the_sign_in_page_still_shows_to_a_locked_out_person(client, integrator_agent):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, integrator_agent.username, "wrong")
    assert client.get(SIGN_IN).status_code == 200


def test_sign_out_is_a_post_only(client, integrator_agent):
    client.force_login(integrator_agent)
    assert client.get("/staff/sign-out").status_code == 405
    assert SESSION_KEY in client.session
    response = client.post("/staff/sign-out")
    assert response.status_code == 302
    assert response["Location"] == SIGN_IN
    assert SESSION_KEY not in client.session
