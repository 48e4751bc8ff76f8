"""The address guard: URLs checked when saved, and the resolved address checked at every
delivery and pinned for the connection. Name resolution is stubbed: nothing here connects
to a private address (or to anything)."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from interchange.exchange import guard
from interchange.exchange.delivery import attempt
from interchange.exchange.models import Delivery, Endpoint

PRIVATE = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 (an address refused, not bound)
    "224.0.0.1",
    "::1",
    "fe80::1",
    "fd00::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
]


@pytest.fixture
def resolves_to(monkeypatch):
    """Make every host name resolve to the given addresses (and record the look-ups)."""
    looked_up: list[str] = []

    def stub(*addresses: str):
        def resolve(host: str, port: int):
            looked_up.append(host)
            return [ipaddress.ip_address(a) for a in addresses]

        monkeypatch.setattr(guard, "resolve", resolve)
        return looked_up

    return stub


@pytest.fixture
def strict(settings):
    settings.EXCHANGE_ALLOW_PRIVATE_TARGETS = False
    settings.EXCHANGE_ALLOW_HTTP = False
    return settings


@pytest.mark.parametrize("address", PRIVATE)
def test_a_host_resolving_to_a_private_address_is_refused_at_delivery(strict, resolves_to, address):
    resolves_to(address)

    with pytest.raises(guard.ForbiddenTarget, match="not on the public internet"):
        guard.pin("https://hooks.supplier.example/in")


def test_a_host_resolving_to_public_and_private_addresses_is_refused(strict, resolves_to):
    resolves_to("93.184.215.14", "10.0.0.5")

    with pytest.raises(guard.ForbiddenTarget):
        guard.pin("https://hooks.supplier.example/in")


def test_the_connection_is_pinned_to_the_checked_address_with_the_name_kept_for_tls(
    strict, resolves_to
):
    looked_up = resolves_to("93.184.215.14")

    target = guard.pin("https://hooks.supplier.example:8443/in?x=1")

    assert target.url == "https://93.184.215.14:8443/in?x=1"
    assert target.host_header == "hooks.supplier.example:8443"
    assert target.sni_hostname == "hooks.supplier.example"
    assert looked_up == ["hooks.supplier.example"], "resolved once, and only by the guard"


def test_an_ipv6_address_is_pinned_in_brackets(strict, resolves_to):
    resolves_to("2606:4700::1111")

    assert guard.pin("https://hooks.supplier.example/").url == "https://[2606:4700::1111]/"


def test_the_setting_lets_tests_and_the_demo_reach_a_local_receiver(settings, resolves_to):
    settings.EXCHANGE_ALLOW_PRIVATE_TARGETS = True
    resolves_to("127.0.0.1")

    assert guard.pin("https://receiver.local/hooks").address == "127.0.0.1"


def test_a_refused_address_is_a_failed_attempt_without_any_connection(
    strict, resolves_to, supplier_a
):
    resolves_to("169.254.169.254")
    endpoint = Endpoint(supplier=supplier_a, url="https://metadata.example/")
    delivery = Delivery(endpoint=endpoint, message_id="evt_1", body="{}")

    outcome = attempt(delivery, salts=["ab" * 32])

    assert not outcome.delivered
    assert outcome.status_code is None
    assert "169.254.169.254" in outcome.error


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.supplier.example/", "https://"),
        ("ftp://hooks.supplier.example/", "https://"),
        ("https:///nohost", "host name"),
        ("https://hooks.supplier.example/" + "a" * 500, "500 characters"),
        ("https://user:pw@hooks.supplier.example/", "password"),
        ("https://10.0.0.1/hooks", "public internet"),
        ("https://[::1]/hooks", "public internet"),
        ("https://hooks.supplier.example:99999/", "port"),
    ],
)
def test_an_endpoint_url_is_refused_when_saved_with_a_clear_reason(strict, url, problem):
    with pytest.raises(ValidationError, match=problem):
        guard.validate_url(url)


def test_http_is_accepted_only_when_the_setting_allows_it(settings):
    settings.EXCHANGE_ALLOW_HTTP = True
    settings.EXCHANGE_ALLOW_PRIVATE_TARGETS = False

    assert guard.validate_url(" http://hooks.supplier.example/in ") == (
        "http://hooks.supplier.example/in"
    )


_PRIVATE_V4 = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")
]


@given(
    network=st.sampled_from(_PRIVATE_V4),
    offset=st.integers(min_value=0, max_value=2**24),
    mapped=st.booleans(),
)
def test_no_address_in_a_private_range_is_ever_allowed(network, offset, mapped):
    address = network[offset % network.num_addresses]
    candidate: guard.IPAddress = ipaddress.IPv6Address(f"::ffff:{address}") if mapped else address
    with override_settings(EXCHANGE_ALLOW_PRIVATE_TARGETS=False):
        assert not guard.address_allowed(candidate)


@given(st.ip_addresses(v=4))
def test_an_ipv4_address_is_allowed_exactly_when_it_is_global_unicast(address):
    with override_settings(EXCHANGE_ALLOW_PRIVATE_TARGETS=False):
        assert guard.address_allowed(address) == (address.is_global and not address.is_multicast)
