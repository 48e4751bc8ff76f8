"""Fixed-window rate limits counted in the shared Django cache, so every process agrees.

Each bucket (an API key, a client address…) gets a counter per window of `per` seconds,
keyed by the window's number: a new window starts a new counter and old ones simply expire.
On Redis, `add` and `incr` are atomic. On Django's database cache `add` is atomic (a unique
key) but `incr` reads and writes back, so requests racing in the same instant may be counted
once between them: under load a few more requests than the limit may get through, never fewer.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

# Cache keys must stay short and printable (memcached allows 250 characters, the database
# cache 255 with its prefix); longer or odd bucket names are hashed.
_PLAIN_BUCKET_MAX = 100


@dataclass(frozen=True)
class RateLimitResult:
    """The outcome of one hit: whether it may go ahead, and what to tell the caller."""

    allowed: bool
    remaining: int
    retry_after_s: int
    """Seconds until a refused caller may try again; 0 when allowed."""
    limit: int = 0
    reset_after_s: int = 0
    """Seconds until this window ends and the count starts again."""


def _cache_key(bucket: str, per: int, window: int) -> str:
    if len(bucket) > _PLAIN_BUCKET_MAX or not bucket.isprintable() or " " in bucket:
        bucket = hashlib.sha256(bucket.encode()).hexdigest()
    return f"ratelimit:{bucket}:{per}:{window}"


def hit(bucket: str, *, limit: int, per: int = 60, at: datetime | None = None) -> RateLimitResult:
    """Count one request in `bucket` and say whether it is within `limit` per `per` seconds."""
    if limit < 0 or per <= 0:
        raise ValueError("limit must be at least 0 and per at least 1 second")
    now = (at or timezone.now()).timestamp()
    window = math.floor(now / per)
    reset_after = max(1, math.ceil((window + 1) * per - now))
    key = _cache_key(bucket, per, window)
    # A second beyond the window's end, so the counter outlives every request that counts in it.
    timeout = reset_after + 1
    if cache.add(key, 1, timeout=timeout):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            # The counter expired between add and incr: this hit starts it again.
            cache.add(key, 1, timeout=timeout)
            count = 1
        else:
            # The database cache's incr rewrites the counter with the default expiry, which
            # could end a long window early; put the window's own expiry back.
            default_timeout = getattr(cache, "default_timeout", None)
            if default_timeout is not None and timeout > default_timeout:
                cache.touch(key, timeout=timeout)
    allowed = count <= limit
    return RateLimitResult(
        allowed=allowed,
        remaining=max(0, limit - count),
        retry_after_s=0 if allowed else reset_after,
        limit=limit,
        reset_after_s=reset_after,
    )
