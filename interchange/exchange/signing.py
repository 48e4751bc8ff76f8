"""Webhook signing secrets and signatures (Standard Webhooks: HMAC-SHA256 over the message
id, timestamp and body, through the `standardwebhooks` package).

A secret is never stored. Its row keeps a random salt; the secret is
HMAC-SHA256(EXCHANGE_SECRETS_KEY, salt), recomputed when it is shown once at creation and
whenever a message is signed. Signing needs the secret itself, so it cannot be hashed like
an API key; deriving it keeps it out of the database (a leaked copy of the database reveals
no secret) without adding an encryption dependency. The price: changing
EXCHANGE_SECRETS_KEY changes every secret, which is why it can be set apart from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from django.conf import settings
from standardwebhooks import Webhook

PREFIX = "whsec_"
# Domain separation: the same key derives nothing else that could collide with a secret.
_CONTEXT = b"interchange.exchange.webhook-secret.v1:"


def new_salt() -> str:
    return secrets.token_hex(32)


def secret_for(salt: str) -> str:
    """The signing secret derived from `salt`, as `whsec_<base64 of 32 bytes>`."""
    key = settings.EXCHANGE_SECRETS_KEY.encode()
    raw = hmac.new(key, _CONTEXT + salt.encode(), hashlib.sha256).digest()
    return PREFIX + base64.b64encode(raw).decode()


def hint_for(secret: str) -> str:
    """The last characters of a secret, enough to tell two apart, too few to guess one."""
    return secret.rstrip("=")[-4:]


def sign_headers(
    *, message_id: str, body: str, salts: Iterable[str], at: datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers for `body`, signed with every secret in `salts` (two
    during a rotation, so a receiver holding either verifies it)."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    signatures = [
        Webhook(secret_for(salt)).sign(msg_id=message_id, timestamp=at, data=body) for salt in salts
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
