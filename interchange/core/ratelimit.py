"""Fixed-window rate limits counted where every process agrees.

Each bucket (an API key, a client address…) gets a counter per window of `per` seconds,
keyed by the window's number: a new window starts a new counter and old ones simply expire.
With Redis (`REDIS_URL`) the counters live in the cache, where `add` and `incr` are atomic.
Without it they live in a table of the database (`RateCounter`), counted by one atomic
upsert per hit: Django's database cache would need a read, a write and a cull check for each
`incr`, and could count two racing requests once. Expired rows are purged by housekeeping.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC as UTC_ZONE
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from interchange.core.models import RateCounter

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
    if getattr(settings, "REDIS_URL", ""):
        count = _count_in_cache(key, timeout)
    else:
        count = _count_in_table(key, expires_at=now + timeout)
    allowed = count <= limit
    return RateLimitResult(
        allowed=allowed,
        remaining=max(0, limit - count),
        retry_after_s=0 if allowed else reset_after,
        limit=limit,
        reset_after_s=reset_after,
    )


def _count_in_table(key: str, *, expires_at: float) -> int:
    """Count the hit with one atomic upsert. Called outside a transaction (at the start of a
    request), so the counter's row is locked only for the statement itself."""
    quote = connection.ops.quote_name
    table, key_column, count = (quote(n) for n in (RateCounter._meta.db_table, "key", "count"))
    # INSERT … ON CONFLICT … RETURNING: PostgreSQL, and SQLite from 3.35.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {count}, expires_at) "  # noqa: S608
            f"VALUES (%s, 1, %s) ON CONFLICT ({key_column}) "
            f"DO UPDATE SET {count} = {table}.{count} + 1 RETURNING {count}",
            [key, datetime.fromtimestamp(expires_at, tz=UTC_ZONE)],
        )
        row = cursor.fetchone()
    return int(row[0])


def _count_in_cache(key: str, timeout: int) -> int:
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
    return count


def purge_expired(*, at: datetime | None = None) -> int:
    """Delete the table's counters of windows that have ended."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=at or timezone.now()).delete()
    return deleted
