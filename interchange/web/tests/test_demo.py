"""`manage.py demo` and `web.demo.load`: the demo council, every login and both API keys."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from interchange.accounts.models import Role, User
from interchange.accounts.services import api_key_authenticate
from interchange.servicedesk.models import Ticket
from interchange.web import demo

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True)
def test_the_demo_command_prints_every_login_and_both_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("demo", "--load-only", "--tickets", "0")
    out = capsys.readouterr().out
    for username in User.objects.values_list("username", flat=True):
        assert f" {username} " in out
    assert out.count(demo.DEMO_PASSWORD) == User.objects.count()
    keys = [word for word in out.split() if word.startswith("ick_")]
    assert len(keys) == 2
    assert all(api_key_authenticate(key) is not None for key in keys)
    assert "FixMyStreet" in out and "Kerbline works management system" in out


@override_settings(DEBUG=True)
def test_the_demo_loads_its_history_once(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo", "--load-only", "--tickets", "120")
    assert Ticket.objects.count() == 120
    call_command("demo", "--load-only", "--tickets", "120")
    assert Ticket.objects.count() == 120


def test_loading_without_tickets_gives_the_reference_data_only() -> None:
    logins = demo.load()
    assert not Ticket.objects.exists()
    assert {login.username for login in logins} >= {"admin", "desk.agent", "kerbline.agent"}


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("desk.agent", Role.INTEGRATOR_AGENT),
        ("desk.lead", Role.INTEGRATOR_LEAD),
        ("kerbline.agent", Role.SUPPLIER_AGENT),
        ("greenbank.admin", Role.SUPPLIER_ADMIN),
        ("commissioner", Role.COMMISSIONER),
    ],
)
def test_demo_people_sign_in_with_the_printed_password(client, username, role) -> None:
    logins = {login.username: login for login in demo.load()}
    response = client.post(
        "/staff/sign-in", {"username": username, "password": logins[username].password}
    )
    assert response.status_code == 302
    assert User.objects.get(username=username).role == role
