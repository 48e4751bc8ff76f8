"""A person's account page and changing their password, all without JavaScript."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from interchange.testing.people import PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNT = "/staff/account/"
CHANGE = "/staff/account/password"
CHANGED = "/staff/account/password/changed"
NEW_PASSWORD = "violet-harbour-lantern-42"


@pytest.mark.parametrize("url", [ACCOUNT, CHANGE, CHANGED])
def test_a_signed_out_person_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/sign-in?next={url}"


def test_a_signed_out_post_changes_nothing(client, integrator_agent):
    response = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    integrator_agent.refresh_from_db()
    assert integrator_agent.check_password(PASSWORD)


def test_the_account_page_shows_who_you_are_here(client, supplier_a_admin):
    client.force_login(supplier_a_admin)
    html = client.get(ACCOUNT).content.decode()
    assert "Ali Streetwise" in html
    assert "Supplier administrator" in html
    assert "Streetwise Roads Ltd" in html
    assert f'href="{CHANGE}"' in html


def test_the_staff_navigation_links_to_your_account(client, integrator_agent):
    client.force_login(integrator_agent)
    html = client.get(ACCOUNT).content.decode()
    assert f'<a class="moj-primary-navigation__link" href="{ACCOUNT}" aria-current="page">' in html


def test_the_change_password_form_uses_gov_uk_fields_and_says_what_a_password_needs(
    client, integrator_agent
):
    client.force_login(integrator_agent)
    html = client.get(CHANGE).content.decode()
    assert 'class="govuk-label govuk-label--s" for="id_old_password">Current password' in html
    assert 'autocomplete="current-password"' in html
    assert 'autocomplete="new-password"' in html
    assert "Use at least 12 characters." in html
    assert "<ul>" not in html.split("<main")[1]  # Django's rule list is replaced by a sentence


def test_a_wrong_current_password_is_an_error_next_to_the_field(client, integrator_agent):
    client.force_login(integrator_agent)
    response = client.post(
        CHANGE,
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Change your password" in html
    assert 'href="#id_old_password"' in html
    integrator_agent.refresh_from_db()
    assert integrator_agent.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short-one", "This password is too short."),
        ("password1234", "This password is too common."),
        ("483920174628", "This password is entirely numeric."),
    ],
)
def test_the_password_rules_apply(client, integrator_agent, new, message):
    client.force_login(integrator_agent)
    response = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert message in response.content.decode()


def test_changing_the_password_keeps_this_session_and_ends_the_others(client, integrator_agent):
    elsewhere = Client()
    elsewhere.force_login(integrator_agent)
    client.force_login(integrator_agent)
    response = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [(CHANGED, 302)]
    assert "Password changed" in response.content.decode()
    integrator_agent.refresh_from_db()
    assert integrator_agent.password.startswith("argon2")
    assert integrator_agent.check_password(NEW_PASSWORD)
    assert client.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302
    assert SESSION_KEY not in elsewhere.session
