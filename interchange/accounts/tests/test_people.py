"""People always have a role, and belong to a supplier exactly when their role says so."""

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from interchange.accounts.models import Role, User
from interchange.testing.people import PASSWORD
from interchange.web import demo

pytestmark = pytest.mark.django_db


def test_create_user_insists_on_a_role():
    with pytest.raises(ValueError, match="role is required"):
        User.objects.create_user("nobody", password="whatever-password-1")
    with pytest.raises(ValueError, match="role is required"):
        User.objects.create_user("nobody", role="wizard")
    assert not User.objects.exists()


def test_the_database_refuses_a_person_without_a_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="nobody", role="")


def test_a_supplier_role_needs_a_supplier_and_council_roles_none(supplier_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("s", role=Role.SUPPLIER_AGENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("c", role=Role.INTEGRATOR_AGENT, supplier=supplier_a)


def test_create_superuser_makes_an_administrator(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "super-secret-password-1")
    call_command(
        "createsuperuser", username="root", email="root@example.org", interactive=False, verbosity=0
    )
    root = User.objects.get(username="root")
    assert (root.role, root.is_superuser, root.is_staff) == (Role.ADMINISTRATOR, True, True)


def test_the_named_people_have_their_roles_and_suppliers(
    integrator_agent,
    integrator_lead,
    supplier_a_agent,
    supplier_a_admin,
    supplier_b_agent,
    service_owner,
    commissioner,
    governance_viewer,
    administrator,
    supplier_a,
    supplier_b,
):
    assert integrator_agent.role == Role.INTEGRATOR_AGENT
    assert (supplier_a_agent.supplier, supplier_a_admin.supplier) == (supplier_a, supplier_a)
    assert supplier_b_agent.supplier == supplier_b
    assert supplier_a_admin.role == Role.SUPPLIER_ADMIN
    assert administrator.is_superuser
    for person in (service_owner, commissioner, governance_viewer, integrator_lead):
        assert person.supplier is None
        assert person.check_password(PASSWORD)


def test_the_demo_administrator_signs_in(client):
    logins = demo.load()
    [admin] = [login for login in logins if login.role == "administrator"]
    response = client.post(
        "/staff/sign-in", {"username": admin.username, "password": admin.password}
    )
    assert response.status_code == 302
    assert client.get("/admin/accounts/apikey/").status_code == 200
    assert User.objects.get(username=admin.username).role == Role.ADMINISTRATOR
