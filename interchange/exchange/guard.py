"""Where webhooks may go: the URL rules checked when an endpoint is saved, and the address
check made at every delivery, whose result the connection is pinned to.

A supplier's URL is checked when saved (scheme, no credentials in it, an address literal
that is not public), but a host name can resolve to anything later, so each delivery
resolves it again, refuses it if any address it resolves to is not public (loopback,
private, link-local, carrier-grade NAT, multicast, reserved, unspecified, or an IPv4 address
wrapped in IPv6) and connects to the address it checked, never resolving twice: a DNS
answer that changes between the check and the connection (DNS rebinding) cannot redirect
the request. TLS still verifies the certificate for the host name (SNI), and the Host header
names it. EXCHANGE_ALLOW_PRIVATE_TARGETS lifts the address rule (tests, benchmark, demo);
EXCHANGE_ALLOW_HTTP allows http:// URLs.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
URL_MAX_LENGTH = 500  # Endpoint.url's column


class ForbiddenTarget(Exception):
    """The endpoint's host resolves to an address deliveries may not go to (or to none)."""


@dataclass(frozen=True)
class Target:
    """Where to connect for a URL: the checked address, and the names TLS and HTTP use."""

    url: str  # the URL with the checked address in place of the host name
    host_header: str
    sni_hostname: str | None  # the host name for TLS (None for an address literal)
    address: str


def allowed_schemes() -> tuple[str, ...]:
    return ("https", "http") if settings.EXCHANGE_ALLOW_HTTP else ("https",)


def validate_url(url: str) -> str:
    """`url`, stripped, if an endpoint may have it; else ValidationError saying why."""
    url = (url or "").strip()
    if len(url) > URL_MAX_LENGTH:
        raise ValidationError(
            _("Keep the address to %(max)d characters or fewer.") % {"max": URL_MAX_LENGTH},
            code="length",
        )
    parts = urlsplit(url)
    if parts.scheme not in allowed_schemes():
        if parts.scheme == "http":
            raise ValidationError(_("Use an https:// address."), code="scheme")
        raise ValidationError(_("Enter a web address that starts with https://."), code="scheme")
    if not parts.hostname:
        raise ValidationError(_("Enter a web address with a host name."), code="host")
    if parts.username or parts.password:
        raise ValidationError(
            _("Take the user name and password out of the address; messages are signed."),
            code="credentials",
        )
    try:
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        raise ValidationError(_("The port in the address is not valid."), code="port") from None
    if parts.fragment:
        raise ValidationError(_("Take the #fragment out of the address."), code="fragment")
    literal = _literal(parts.hostname)
    if literal is not None and not address_allowed(literal):
        raise ValidationError(
            _("The address %(address)s is not on the public internet.") % {"address": literal},
            code="private",
        )
    return url


def address_allowed(address: IPAddress) -> bool:
    """Whether deliveries may connect to `address`."""
    if settings.EXCHANGE_ALLOW_PRIVATE_TARGETS:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:10.0.0.1 and 64:ff9b::/96 (NAT64) carry an IPv4 address: judge that one.
        mapped = address.ipv4_mapped or _nat64(address)
        if mapped is not None:
            return address_allowed(mapped)
    # is_global is False for loopback, private, link-local, shared (100.64/10), reserved,
    # documentation and unspecified ranges; multicast is excluded separately.
    return address.is_global and not address.is_multicast


def _nat64(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (tests replace this to stub name resolution)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: dict[str, IPAddress] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        seen.setdefault(text, ipaddress.ip_address(text))
    return list(seen.values())


def pin(url: str) -> Target:
    """Resolve `url`'s host, check every address, and give the URL to connect to the first.

    Raises ForbiddenTarget when the host resolves to no address or to any forbidden one
    (all are refused, not just skipped: a name mixing public and private answers is not to
    be trusted).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise ForbiddenTarget(
                _("The host name %(host)s could not be resolved: %(error)s")
                % {"host": host, "error": exc}
            ) from exc
    if not addresses:
        raise ForbiddenTarget(_("The host name %(host)s has no address.") % {"host": host})
    refused = [str(a) for a in addresses if not address_allowed(a)]
    if refused:
        raise ForbiddenTarget(
            _(
                "%(host)s resolves to %(addresses)s, which is not on the public internet; "
                "deliveries go only to public addresses."
            )
            % {"host": host, "addresses": ", ".join(refused)}
        )
    address = addresses[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = shown if parts.port is None else f"{shown}:{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host_header=host_header,
        sni_hostname=host if literal is None and parts.scheme == "https" else None,
        address=str(address),
    )
