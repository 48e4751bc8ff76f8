"""OPEN311_DEMO_API_KEY makes the demo's Open311 key a value scripts already know."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from interchange.accounts.models import ApiKey
from interchange.accounts.services import api_key_authenticate
from interchange.demo import people
from interchange.demo.people import demo_key


def test_the_open311_demo_key_takes_the_value_from_the_environment(settings):
    settings.OPEN311_DEMO_API_KEY = "ick_0123456789_my-demo-secret-0001"
    assert demo_key("FixMyStreet", ApiKey.Kind.OPEN311_CLIENT) == (
        "0123456789",
        "my-demo-secret-0001",
    )
    # Supplier keys stay derived from their names.
    assert demo_key("Kerbline", ApiKey.Kind.SUPPLIER_SYSTEM)[0] != "0123456789"


def test_a_malformed_demo_key_stops_the_demo_with_the_expected_shape(settings):
    settings.OPEN311_DEMO_API_KEY = "letmein"
    with pytest.raises(ImproperlyConfigured, match="must look like ick_"):
        demo_key("FixMyStreet", ApiKey.Kind.OPEN311_CLIENT)


@pytest.mark.django_db
def test_a_key_given_that_value_authenticates(settings, administrator):
    settings.OPEN311_DEMO_API_KEY = "ick_0123456789_my-demo-secret-0001"
    now = timezone.now()
    key = ApiKey.objects.create(
        name="FixMyStreet",
        kind=ApiKey.Kind.OPEN311_CLIENT,
        prefix="ffff",
        secret_hash="0" * 64,
        created_at=now,
    )
    plaintext = people._reproducible(administrator, key, at=now)
    assert plaintext == "ick_0123456789_my-demo-secret-0001"
    assert api_key_authenticate(plaintext) == key
