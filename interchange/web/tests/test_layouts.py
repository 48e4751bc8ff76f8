"""What residents and staff see in the two layouts, without a browser."""

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings

from interchange.accounts.models import Role
from interchange.web.navigation import NavItem

pytestmark = pytest.mark.django_db


def test_resident_pages_share_the_council_header_phase_banner_and_footer_links(client):
    for url in ["/", "/accessibility", "/privacy", "/cookies"]:
        html = client.get(url).content.decode()
        assert 'class="govuk-skip-link"' in html, url
        assert "Harbourside City Council" in html, url
        assert "govuk-phase-banner" in html, url
        for link in ['href="/accessibility"', 'href="/privacy"', 'href="/cookies"']:
            assert link in html, (url, link)


@override_settings(COUNCIL_NAME="Riverton Borough Council", SERVICE_PHASE="alpha")
def test_the_council_name_and_phase_come_from_settings(client):
    html = client.get("/").content.decode()
    assert "Riverton Borough Council" in html
    assert ">Alpha<" in html


def test_the_accessibility_statement_names_the_standard_and_the_enforcement_body(client):
    html = client.get("/accessibility").content.decode()
    assert "WCAG" in html and "2.2 AA" in html
    assert "Equality and Human Rights Commission" in html


def test_every_page_carries_a_content_security_policy_with_a_nonce_for_the_inline_script(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_an_unknown_page_is_a_gov_uk_page_not_found(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_staff_pages_send_a_signed_out_person_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in?next=/staff/"


def test_sign_in_with_a_wrong_password_shows_the_error_summary_and_keeps_you_out(client):
    get_user_model().objects.create_user(
        "agent", role=Role.INTEGRATOR_AGENT, password="right-password-123"
    )
    response = client.post("/staff/sign-in", {"username": "agent", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "<title>Error: Sign in" in html
    assert "_auth_user_id" not in client.session


def test_staff_sign_in_leads_to_the_staff_layout_with_navigation(client):
    get_user_model().objects.create_user(
        "agent", role=Role.INTEGRATOR_AGENT, password="right-password-123"
    )
    response = client.post(
        "/staff/sign-in", {"username": "agent", "password": "right-password-123"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/staff/"
    assert 'class="moj-header"' in html
    assert 'aria-current="page"' in html and ">Home</a>" in html
    # Administration is only offered to people who may use it.
    assert ">Administration</a>" not in html


def test_sign_out_is_a_post_and_ends_the_session(client):
    user = get_user_model().objects.create_user(
        "agent", role=Role.INTEGRATOR_AGENT, password="right-password-123"
    )
    client.force_login(user)
    assert client.get("/staff/sign-out").status_code == 405
    response = client.post("/staff/sign-out")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_staff_layout_marks_the_current_sub_navigation_item():
    request = RequestFactory().get("/staff/")
    request.user = get_user_model().objects.create_user("agent", role=Role.INTEGRATOR_AGENT)
    items = [NavItem("Open", "/q/open", True), NavItem("Closed", "/q/closed", False)]
    html = render_to_string("web/staff/home.html", {"sub_navigation": items}, request=request)
    assert 'class="moj-sub-navigation"' in html
    assert '<a class="moj-sub-navigation__link" href="/q/open" aria-current="page">Open</a>' in html
    assert '<a class="moj-sub-navigation__link" href="/q/closed">Closed</a>' in html
