"""The admin for people and keys: scoped to a supplier for its administrator, hashes never shown."""

import hashlib
import re

import pytest

from interchange.accounts.models import ApiKey, Role, User
from interchange.accounts.services import api_key_authenticate, api_key_create
from interchange.testing.people import make_person

pytestmark = pytest.mark.django_db

KEYS = "/admin/accounts/apikey/"
PEOPLE = "/admin/accounts/user/"
PLAINTEXT = re.compile(r"ick_[0-9a-f]{10}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def keys(integrator_lead, supplier_a, supplier_b):
    def make(name, supplier, kind=ApiKey.Kind.SUPPLIER_SYSTEM):
        return api_key_create(actor=integrator_lead, name=name, kind=kind, supplier=supplier)[0]

    return {
        "a": make("Streetwise works system", supplier_a),
        "b": make("Cleanway crew app", supplier_b),
        "app": make("FixMyStreet", None, ApiKey.Kind.OPEN311_CLIENT),
    }


@pytest.fixture
def as_a_admin(client, supplier_a_admin):
    client.force_login(supplier_a_admin)
    return client


@pytest.fixture
def as_lead(client, integrator_lead):
    client.force_login(integrator_lead)
    return client


def doesnt_exist(response):
    html = response.content.decode()
    return "doesn’t exist" in html or "doesn't exist" in html


class TestApiKeyScope:
    def test_a_supplier_administrator_lists_only_their_suppliers_keys(self, as_a_admin, keys):
        html = as_a_admin.get(KEYS).content.decode()
        assert "Streetwise works system" in html
        assert "Cleanway crew app" not in html
        assert "FixMyStreet" not in html
        # The supplier filter offers only suppliers in their own list.
        assert "Cleanway Environmental" not in html

    def test_another_suppliers_key_cannot_be_opened_by_its_url(self, as_a_admin, keys):
        for key in (keys["b"], keys["app"]):
            response = as_a_admin.get(f"{KEYS}{key.pk}/change/", follow=True)
            assert doesnt_exist(response)
            assert key.name not in response.content.decode()

    def test_another_suppliers_key_cannot_be_revoked_through_the_action(self, as_a_admin, keys):
        response = as_a_admin.post(
            KEYS, {"action": "revoke_keys", "_selected_action": [keys["b"].pk], "confirm": "yes"}
        )
        assert response.status_code == 302
        keys["b"].refresh_from_db()
        assert keys["b"].revoked_at is None

    def test_integrator_leads_see_every_key(self, as_lead, keys):
        html = as_lead.get(KEYS).content.decode()
        for key in keys.values():
            assert key.name in html

    def test_the_list_and_the_page_never_show_a_hash(self, as_lead, keys):
        pages = [as_lead.get(KEYS), as_lead.get(f"{KEYS}{keys['a'].pk}/change/")]
        for response in pages:
            html = response.content.decode()
            assert response.status_code == 200
            assert keys["a"].prefix in html
            for key in keys.values():
                assert key.secret_hash not in html
            assert "secret_hash" not in html

    @pytest.mark.parametrize("person", ["integrator_agent", "supplier_a_agent", "commissioner"])
    def test_people_who_manage_no_keys_cannot_reach_them(self, client, request, person, keys):
        actor = request.getfixturevalue(person)
        actor.is_staff = True
        actor.save()
        client.force_login(actor)
        assert client.get(KEYS).status_code == 403
        assert client.get(f"{KEYS}{keys['a'].pk}/change/").status_code in (302, 403)
        assert "API keys" not in client.get("/admin/").content.decode()

    def test_people_without_staff_access_are_sent_to_the_admin_sign_in(
        self, client, supplier_a_agent
    ):
        client.force_login(supplier_a_agent)
        response = client.get(KEYS)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestCreatingKeysInTheAdmin:
    def test_the_plaintext_is_shown_once_after_saving_and_only_the_hash_is_kept(
        self, as_a_admin, supplier_a
    ):
        response = as_a_admin.post(
            f"{KEYS}add/",
            {
                "name": "Depot tablets",
                "kind": ApiKey.Kind.SUPPLIER_SYSTEM,
                "supplier": supplier_a.pk,
                "client_name": "",
                "rate_limit_per_minute": 120,
                "expires_at_0": "",
                "expires_at_1": "",
            },
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        [plaintext] = set(PLAINTEXT.findall(html))
        key = ApiKey.objects.get(name="Depot tablets")
        secret = plaintext.split("_", 2)[2]
        assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert key.created_by is not None
        assert key.created_by.username == "supplier_a_admin"
        assert key.rate_limit_per_minute == 120
        assert api_key_authenticate(plaintext) == key
        for page in (KEYS, f"{KEYS}{key.pk}/change/", f"{KEYS}{key.pk}/history/"):
            later = as_a_admin.get(page).content.decode()
            assert plaintext not in later
            assert secret not in later

    def test_a_supplier_administrator_is_offered_only_their_supplier_and_system_keys(
        self, as_a_admin, supplier_a, supplier_b
    ):
        html = as_a_admin.get(f"{KEYS}add/").content.decode()
        assert f'<option value="{supplier_a.pk}">Streetwise Roads Ltd</option>' in html
        assert f'<option value="{supplier_b.pk}"' not in html
        assert 'value="open311_client"' not in html
        assert "secret_hash" not in html and 'name="prefix"' not in html

    def test_a_supplier_administrator_cannot_post_a_key_for_another_supplier(
        self, as_a_admin, supplier_b
    ):
        response = as_a_admin.post(
            f"{KEYS}add/",
            {
                "name": "Sneaky",
                "kind": ApiKey.Kind.SUPPLIER_SYSTEM,
                "supplier": supplier_b.pk,
                "rate_limit_per_minute": 600,
            },
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert not ApiKey.objects.filter(name="Sneaky").exists()

    def test_a_key_for_the_wrong_scope_is_a_form_error(self, as_lead, supplier_a):
        response = as_lead.post(
            f"{KEYS}add/",
            {
                "name": "App",
                "kind": ApiKey.Kind.OPEN311_CLIENT,
                "supplier": supplier_a.pk,
                "rate_limit_per_minute": 600,
            },
        )
        assert response.status_code == 200
        assert "a client application&#x27;s to none" in response.content.decode()
        assert not ApiKey.objects.exists()

    def test_an_existing_key_keeps_its_scope_and_secret_when_edited(
        self, as_lead, keys, supplier_b
    ):
        key = keys["a"]
        response = as_lead.post(
            f"{KEYS}{key.pk}/change/",
            {
                "name": "Renamed",
                "client_name": "",
                "rate_limit_per_minute": 60,
                "expires_at_0": "",
                "expires_at_1": "",
                "supplier": supplier_b.pk,
                "secret_hash": "0" * 64,
            },
        )
        assert response.status_code == 302
        before_hash = key.secret_hash
        key.refresh_from_db()
        assert (key.name, key.rate_limit_per_minute) == ("Renamed", 60)
        assert key.supplier.code == "streetwise"
        assert key.secret_hash == before_hash


class TestKeyActions:
    def test_revoking_asks_first_then_revokes(self, as_a_admin, keys):
        key = keys["a"]
        confirm = as_a_admin.post(
            KEYS, {"action": "revoke_keys", "_selected_action": [key.pk], "index": 0}
        )
        assert confirm.status_code == 200
        assert "will stop working at once" in confirm.content.decode()
        key.refresh_from_db()
        assert key.revoked_at is None
        done = as_a_admin.post(
            KEYS,
            {"action": "revoke_keys", "_selected_action": [key.pk], "confirm": "yes"},
            follow=True,
        )
        assert "Revoked 1 key." in done.content.decode()
        key.refresh_from_db()
        assert key.revoked_at is not None

    def test_rotating_asks_for_a_grace_period_then_shows_the_new_key_once(self, as_a_admin, keys):
        key = keys["a"]
        confirm = as_a_admin.post(
            KEYS, {"action": "rotate_keys", "_selected_action": [key.pk], "index": 0}
        )
        assert "How long should the old key keep working?" in confirm.content.decode()
        response = as_a_admin.post(
            KEYS,
            {
                "action": "rotate_keys",
                "_selected_action": [key.pk],
                "confirm": "yes",
                "grace": 3600,
            },
        )
        html = response.content.decode()
        assert "no-store" in response["Cache-Control"]
        [plaintext] = set(PLAINTEXT.findall(html))
        new = api_key_authenticate(plaintext)
        assert new is not None
        assert new.replaces == key
        key.refresh_from_db()
        assert key.expires_at is not None
        assert plaintext not in as_a_admin.get(KEYS).content.decode()

    def test_a_key_that_cannot_be_rotated_is_reported(self, as_lead, keys, integrator_lead):
        key = keys["a"]
        as_lead.post(
            KEYS, {"action": "revoke_keys", "_selected_action": [key.pk], "confirm": "yes"}
        )
        response = as_lead.post(
            KEYS,
            {"action": "rotate_keys", "_selected_action": [key.pk], "confirm": "yes", "grace": 0},
            follow=True,
        )
        assert "revoked or expired" in response.content.decode()
        assert ApiKey.objects.count() == 3

    def test_keys_cannot_be_deleted(self, as_lead, keys):
        assert as_lead.get(f"{KEYS}{keys['a'].pk}/delete/").status_code == 403
        assert "delete_selected" not in as_lead.get(KEYS).content.decode()


class TestPeopleScope:
    def test_a_supplier_administrator_sees_only_their_suppliers_people(
        self, as_a_admin, supplier_a_agent, supplier_b_agent, integrator_agent
    ):
        html = as_a_admin.get(PEOPLE).content.decode()
        assert f'href="{PEOPLE}{supplier_a_agent.pk}/change/' in html
        assert f'href="{PEOPLE}{supplier_b_agent.pk}/change/' not in html
        assert f'href="{PEOPLE}{integrator_agent.pk}/change/' not in html
        assert "supplier_b_agent" not in html

    def test_another_suppliers_person_cannot_be_opened_or_given_a_password(
        self, as_a_admin, supplier_b_agent, integrator_agent
    ):
        for person in (supplier_b_agent, integrator_agent):
            response = as_a_admin.get(f"{PEOPLE}{person.pk}/change/", follow=True)
            assert doesnt_exist(response)
            response = as_a_admin.post(
                f"{PEOPLE}{person.pk}/password/",
                {"password1": "taken-over-2026!", "password2": "taken-over-2026!"},
            )
            assert response.status_code == 404
            person.refresh_from_db()
            assert not person.check_password("taken-over-2026!")

    def test_a_supplier_administrator_adds_people_only_to_their_supplier_and_roles(
        self, as_a_admin, supplier_a, supplier_b
    ):
        html = as_a_admin.get(f"{PEOPLE}add/").content.decode()
        assert 'value="supplier_agent"' in html and 'value="supplier_admin"' in html
        assert 'value="integrator_agent"' not in html and 'value="administrator"' not in html
        assert f'<option value="{supplier_b.pk}"' not in html
        assert 'name="is_superuser"' not in html
        response = as_a_admin.post(
            f"{PEOPLE}add/",
            {
                "username": "new_agent",
                "usable_password": "true",
                "password1": "a-fresh-password-2026",
                "password2": "a-fresh-password-2026",
                "first_name": "Nia",
                "last_name": "New",
                "email": "nia@example.org",
                "role": Role.SUPPLIER_AGENT,
                "supplier": supplier_a.pk,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        person = User.objects.get(username="new_agent")
        assert (person.role, person.supplier, person.is_superuser) == (
            Role.SUPPLIER_AGENT,
            supplier_a,
            False,
        )
        assert person.password.startswith("argon2")

    def test_a_supplier_administrator_cannot_make_someone_council_staff_or_superuser(
        self, as_a_admin, supplier_a_agent, supplier_a
    ):
        response = as_a_admin.post(
            f"{PEOPLE}{supplier_a_agent.pk}/change/",
            {
                "username": supplier_a_agent.username,
                "first_name": "Sam",
                "last_name": "Streetwise",
                "email": "",
                "role": Role.ADMINISTRATOR,
                "supplier": supplier_a.pk,
                "is_active": "on",
                "is_superuser": "on",
            },
        )
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        supplier_a_agent.refresh_from_db()
        assert supplier_a_agent.role == Role.SUPPLIER_AGENT
        assert not supplier_a_agent.is_superuser

    def test_a_supplier_administrator_deactivates_one_of_their_people(
        self, as_a_admin, supplier_a_agent, supplier_a
    ):
        response = as_a_admin.post(
            f"{PEOPLE}{supplier_a_agent.pk}/change/",
            {
                "username": supplier_a_agent.username,
                "first_name": "Sam",
                "last_name": "Streetwise",
                "email": "sam@example.org",
                "role": Role.SUPPLIER_AGENT,
                "supplier": supplier_a.pk,
                "is_superuser": "on",  # not a field for them: ignored
            },
        )
        assert response.status_code == 302
        supplier_a_agent.refresh_from_db()
        assert not supplier_a_agent.is_active
        assert not supplier_a_agent.is_superuser

    def test_an_administrator_sees_everyone_but_superusers(
        self, client, administrator, supplier_b_agent
    ):
        plain_admin = make_person("plain_admin", Role.ADMINISTRATOR, is_staff=True)
        client.force_login(plain_admin)
        html = client.get(PEOPLE).content.decode()
        assert "supplier_b_agent" in html
        assert ">administrator<" not in html
        assert doesnt_exist(client.get(f"{PEOPLE}{administrator.pk}/change/", follow=True))
        assert (
            'name="is_superuser"'
            not in client.get(f"{PEOPLE}{supplier_b_agent.pk}/change/").content.decode()
        )

    def test_a_superuser_sees_and_sets_everything(self, client, administrator, supplier_b_agent):
        client.force_login(administrator)
        html = client.get(f"{PEOPLE}{supplier_b_agent.pk}/change/").content.decode()
        assert 'name="is_superuser"' in html
        assert 'value="integrator_lead"' in html

    def test_an_integrator_lead_may_look_but_not_change(self, as_lead, supplier_b_agent):
        assert as_lead.get(PEOPLE).status_code == 200
        page = as_lead.get(f"{PEOPLE}{supplier_b_agent.pk}/change/")
        assert page.status_code == 200
        assert 'name="role"' not in page.content.decode()
        assert as_lead.get(f"{PEOPLE}add/").status_code == 403

    def test_changes_to_people_are_recorded_without_the_password(
        self, as_a_admin, supplier_a_agent, supplier_a
    ):
        from interchange.core.audit import history

        as_a_admin.post(
            f"{PEOPLE}{supplier_a_agent.pk}/change/",
            {
                "username": supplier_a_agent.username,
                "first_name": "Sam",
                "last_name": "Streetwise",
                "email": "",
                "role": Role.SUPPLIER_ADMIN,
                "supplier": supplier_a.pk,
                "is_active": "on",
            },
        )
        [record] = history(supplier_a_agent)
        assert record.changes["role"] == [Role.SUPPLIER_AGENT, Role.SUPPLIER_ADMIN]
        assert "password" not in record.changes
        assert record.actor_label == "supplier_a_admin"
