"""API keys: shown once, stored as SHA-256, scoped, expiring, rotatable, revocable, throttled."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError

from interchange.accounts.models import ApiKey
from interchange.accounts.services import (
    api_key_authenticate,
    api_key_check_rate,
    api_key_create,
    api_key_revoke,
    api_key_rotate,
)
from interchange.core.audit import history

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUPPLIER = ApiKey.Kind.SUPPLIER_SYSTEM
CLIENT = ApiKey.Kind.OPEN311_CLIENT


@pytest.fixture
def a_key(integrator_lead, supplier_a):
    return api_key_create(
        actor=integrator_lead,
        name="Streetwise works system",
        kind=SUPPLIER,
        supplier=supplier_a,
        at=T0,
    )


@pytest.fixture
def client_key(integrator_lead):
    return api_key_create(
        actor=integrator_lead, name="FixMyStreet", kind=CLIENT, client_name="FixMyStreet", at=T0
    )


class TestCreating:
    def test_the_plaintext_is_returned_once_and_only_its_hash_is_stored(self, a_key):
        key, plaintext = a_key
        match = re.fullmatch(r"ick_([0-9a-f]{10})_([A-Za-z0-9_-]{43})", plaintext)
        assert match, plaintext
        assert key.prefix == match[1]
        assert key.secret_hash == hashlib.sha256(match[2].encode()).hexdigest()
        stored = ApiKey.objects.get(pk=key.pk)
        assert match[2] not in str(stored.__dict__)

    def test_every_key_is_different(self, integrator_lead, supplier_a):
        made = [
            api_key_create(actor=integrator_lead, name=f"k{n}", kind=SUPPLIER, supplier=supplier_a)
            for n in range(5)
        ]
        assert len({plaintext for _, plaintext in made}) == 5
        assert len({key.prefix for key, _ in made}) == 5

    def test_the_key_records_who_made_it_when_and_its_limits(self, integrator_lead, client_key):
        key, _ = client_key
        assert key.created_by == integrator_lead
        assert key.created_at == T0
        assert key.rate_limit_per_minute == 600
        assert key.client_name == "FixMyStreet"
        assert key.supplier is None

    def test_the_change_record_names_the_creator_and_never_holds_the_hash(self, a_key):
        key, _ = a_key
        [record] = history(key)
        assert record.actor_label == "integrator_lead"
        assert "secret_hash" not in record.changes
        assert record.changes["prefix"] == [None, key.prefix]

    @pytest.mark.parametrize(
        ("kind", "with_supplier", "field"),
        [(SUPPLIER, False, "supplier"), (CLIENT, True, "supplier"), ("other", False, "kind")],
    )
    def test_a_key_must_match_its_kind(
        self, integrator_lead, supplier_a, kind, with_supplier, field
    ):
        with pytest.raises(ValidationError) as raised:
            api_key_create(
                actor=integrator_lead,
                name="x",
                kind=kind,
                supplier=supplier_a if with_supplier else None,
            )
        assert field in raised.value.message_dict
        assert not ApiKey.objects.exists()

    def test_a_key_cannot_be_born_expired_or_without_a_limit(self, integrator_lead):
        with pytest.raises(ValidationError) as raised:
            api_key_create(
                actor=integrator_lead,
                name=" ",
                kind=CLIENT,
                expires_at=T0,
                rate_limit_per_minute=0,
                at=T0,
            )
        assert set(raised.value.message_dict) == {"name", "expires_at", "rate_limit_per_minute"}


class TestWhoMayManageKeys:
    def test_a_supplier_administrator_manages_their_own_suppliers_keys(
        self, supplier_a_admin, supplier_a
    ):
        key, _ = api_key_create(
            actor=supplier_a_admin, name="ours", kind=SUPPLIER, supplier=supplier_a
        )
        new, _ = api_key_rotate(actor=supplier_a_admin, key=key, grace=timedelta(hours=1))
        api_key_revoke(actor=supplier_a_admin, key=new)
        assert new.supplier == supplier_a

    def test_a_supplier_administrator_cannot_make_another_suppliers_key(
        self, supplier_a_admin, supplier_b
    ):
        with pytest.raises(PermissionDenied):
            api_key_create(
                actor=supplier_a_admin, name="theirs", kind=SUPPLIER, supplier=supplier_b
            )
        assert not ApiKey.objects.exists()

    def test_a_supplier_administrator_cannot_make_client_application_keys(self, supplier_a_admin):
        with pytest.raises(PermissionDenied):
            api_key_create(actor=supplier_a_admin, name="app", kind=CLIENT, client_name="App")

    def test_a_supplier_administrator_cannot_rotate_or_revoke_another_suppliers_key(
        self, supplier_a_admin, integrator_lead, supplier_b
    ):
        key, _ = api_key_create(actor=integrator_lead, name="b", kind=SUPPLIER, supplier=supplier_b)
        with pytest.raises(PermissionDenied):
            api_key_rotate(actor=supplier_a_admin, key=key, grace=timedelta(0))
        with pytest.raises(PermissionDenied):
            api_key_revoke(actor=supplier_a_admin, key=key)
        key.refresh_from_db()
        assert key.revoked_at is None
        assert not hasattr(key, "replaced_by")

    @pytest.mark.parametrize("person", ["integrator_lead", "administrator"])
    def test_integrator_leads_and_administrators_manage_every_key(
        self, request, person, supplier_a, supplier_b
    ):
        actor = request.getfixturevalue(person)
        for supplier in (supplier_a, supplier_b):
            api_key_create(actor=actor, name="k", kind=SUPPLIER, supplier=supplier)
        api_key_create(actor=actor, name="app", kind=CLIENT)
        assert ApiKey.objects.count() == 3

    @pytest.mark.parametrize(
        "person",
        [
            "integrator_agent",
            "supplier_a_agent",
            "service_owner",
            "commissioner",
            "governance_viewer",
        ],
    )
    def test_everyone_else_manages_no_keys(self, request, person, supplier_a):
        actor = request.getfixturevalue(person)
        with pytest.raises(PermissionDenied):
            api_key_create(actor=actor, name="k", kind=SUPPLIER, supplier=supplier_a)

    def test_a_deactivated_administrator_manages_nothing(self, supplier_a_admin, supplier_a):
        supplier_a_admin.is_active = False
        with pytest.raises(PermissionDenied):
            api_key_create(actor=supplier_a_admin, name="k", kind=SUPPLIER, supplier=supplier_a)


class TestAuthenticating:
    def test_the_plaintext_finds_its_key_with_the_supplier_loaded(
        self, a_key, django_assert_num_queries
    ):
        key, plaintext = a_key
        found = api_key_authenticate(plaintext, at=T0)
        assert found is not None
        assert found == key
        with django_assert_num_queries(0):
            assert found.supplier is not None
            assert found.supplier.code == "streetwise"

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"),  # wrong secret
            lambda p: p.replace(p.split("_")[1], "0123456789"),  # unknown prefix
            lambda p: p.replace("ick_", "sk_"),
            lambda p: p.split("_", 2)[2],  # secret alone
            lambda p: "",
            lambda p: "ick__",
            lambda p: p + "\x00",
            lambda p: p + "x" * 200,
        ],
    )
    def test_anything_but_the_exact_key_is_refused(self, a_key, mangle):
        _, plaintext = a_key
        assert api_key_authenticate(mangle(plaintext), at=T0) is None

    def test_a_non_string_is_refused(self):
        assert api_key_authenticate(None, at=T0) is None  # type: ignore[arg-type]

    def test_surrounding_whitespace_is_forgiven(self, a_key):
        key, plaintext = a_key
        assert api_key_authenticate(f"  {plaintext}\n", at=T0) == key

    def test_a_revoked_key_is_refused_from_the_moment_it_was_revoked(self, a_key, integrator_lead):
        key, plaintext = a_key
        api_key_revoke(actor=integrator_lead, key=key, at=T0 + timedelta(hours=1))
        assert api_key_authenticate(plaintext, at=T0 + timedelta(minutes=59)) == key
        assert api_key_authenticate(plaintext, at=T0 + timedelta(hours=1)) is None

    def test_an_expired_key_is_refused(self, integrator_lead):
        key, plaintext = api_key_create(
            actor=integrator_lead,
            name="app",
            kind=CLIENT,
            expires_at=T0 + timedelta(days=90),
            at=T0,
        )
        assert api_key_authenticate(plaintext, at=T0 + timedelta(days=89)) == key
        assert api_key_authenticate(plaintext, at=T0 + timedelta(days=90)) is None

    def test_last_use_is_written_at_most_once_a_minute(self, a_key, django_assert_num_queries):
        key, plaintext = a_key
        with django_assert_num_queries(2):
            api_key_authenticate(plaintext, at=T0)
        with django_assert_num_queries(1):
            api_key_authenticate(plaintext, at=T0 + timedelta(seconds=59))
        key.refresh_from_db()
        assert key.last_used_at == T0
        with django_assert_num_queries(2):
            api_key_authenticate(plaintext, at=T0 + timedelta(seconds=60))
        key.refresh_from_db()
        assert key.last_used_at == T0 + timedelta(seconds=60)

    def test_the_write_is_conditional_so_racing_processes_write_once(
        self, a_key, django_assert_num_queries
    ):
        _, plaintext = a_key
        with django_assert_num_queries(2) as captured:
            api_key_authenticate(plaintext, at=T0)
        update = captured.captured_queries[1]["sql"]
        assert update.startswith("UPDATE")
        # Whoever writes second finds the time already fresh and changes no row.
        assert '"last_used_at" IS NULL OR' in update and '"last_used_at" <=' in update


class TestRotating:
    def test_the_new_key_replaces_the_old_which_works_until_the_grace_ends(
        self, a_key, integrator_lead
    ):
        old, old_plaintext = a_key
        at = T0 + timedelta(days=10)
        new, new_plaintext = api_key_rotate(
            actor=integrator_lead, key=old, grace=timedelta(hours=24), at=at
        )
        assert new_plaintext != old_plaintext
        assert new.replaces == old
        assert (new.name, new.kind, new.supplier_id) == (old.name, old.kind, old.supplier_id)
        assert new.created_by == integrator_lead
        assert api_key_authenticate(new_plaintext, at=at) == new
        assert api_key_authenticate(old_plaintext, at=at + timedelta(hours=23)) == old
        assert api_key_authenticate(old_plaintext, at=at + timedelta(hours=24)) is None
        old.refresh_from_db()
        assert old.status(at) == ApiKey.Status.RETIRING
        assert old.status(at + timedelta(hours=24)) == ApiKey.Status.EXPIRED
        assert new.status(at) == ApiKey.Status.ACTIVE

    def test_a_grace_of_zero_stops_the_old_key_at_once(self, a_key, integrator_lead):
        old, old_plaintext = a_key
        api_key_rotate(actor=integrator_lead, key=old, grace=timedelta(0), at=T0)
        assert api_key_authenticate(old_plaintext, at=T0) is None

    def test_the_grace_never_extends_an_earlier_expiry(self, integrator_lead):
        old, _ = api_key_create(
            actor=integrator_lead,
            name="app",
            kind=CLIENT,
            expires_at=T0 + timedelta(hours=2),
            at=T0,
        )
        new, _ = api_key_rotate(actor=integrator_lead, key=old, grace=timedelta(days=7), at=T0)
        old.refresh_from_db()
        assert old.expires_at == T0 + timedelta(hours=2)
        # The replacement gets the same lifetime as the old key had.
        assert new.expires_at == T0 + timedelta(hours=2)

    def test_a_key_can_be_replaced_only_once(self, a_key, integrator_lead):
        old, _ = a_key
        api_key_rotate(actor=integrator_lead, key=old, grace=timedelta(hours=1), at=T0)
        with pytest.raises(ValidationError, match="already been replaced"):
            api_key_rotate(actor=integrator_lead, key=old, grace=timedelta(hours=1), at=T0)

    def test_a_revoked_or_expired_key_cannot_be_rotated(self, a_key, integrator_lead):
        old, _ = a_key
        api_key_revoke(actor=integrator_lead, key=old, at=T0)
        with pytest.raises(ValidationError, match="revoked or expired"):
            api_key_rotate(actor=integrator_lead, key=old, grace=timedelta(0), at=T0)
        assert ApiKey.objects.count() == 1

    def test_a_negative_grace_is_a_programming_error(self, a_key, integrator_lead):
        with pytest.raises(ValueError, match="grace"):
            api_key_rotate(actor=integrator_lead, key=a_key[0], grace=timedelta(seconds=-1))


class TestRevoking:
    def test_revoking_records_when_and_who(self, a_key, supplier_a_admin):
        key, _ = a_key
        api_key_revoke(actor=supplier_a_admin, key=key, at=T0 + timedelta(hours=3))
        key.refresh_from_db()
        assert key.revoked_at == T0 + timedelta(hours=3)
        assert key.status(T0 + timedelta(hours=3)) == ApiKey.Status.REVOKED
        assert history(key)[0].actor_label == "supplier_a_admin"

    def test_revoking_twice_keeps_the_first_time(self, a_key, integrator_lead):
        key, _ = a_key
        api_key_revoke(actor=integrator_lead, key=key, at=T0)
        api_key_revoke(actor=integrator_lead, key=key, at=T0 + timedelta(days=1))
        key.refresh_from_db()
        assert key.revoked_at == T0
        assert history(key).count() == 2  # created, revoked


class TestRateLimits:
    @pytest.fixture(autouse=True)
    def empty_cache(self):
        cache.clear()

    def test_each_key_is_limited_to_its_own_rate(self, integrator_lead, supplier_a):
        slow, _ = api_key_create(
            actor=integrator_lead,
            name="slow",
            kind=SUPPLIER,
            supplier=supplier_a,
            rate_limit_per_minute=2,
        )
        fast, _ = api_key_create(actor=integrator_lead, name="fast", kind=CLIENT)
        results = [api_key_check_rate(slow, at=T0) for _ in range(3)]
        assert [r.allowed for r in results] == [True, True, False]
        assert results[2].retry_after_s == 60
        assert api_key_check_rate(fast, at=T0).remaining == 599
        assert api_key_check_rate(slow, at=T0 + timedelta(minutes=1)).allowed
