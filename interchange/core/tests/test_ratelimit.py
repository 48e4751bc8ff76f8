"""Fixed-window rate limits in the shared cache."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from interchange.core.ratelimit import RateLimitResult, hit, purge_expired

pytestmark = pytest.mark.django_db

# 15 seconds into a minute.
T0 = datetime(2026, 3, 2, 9, 0, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_hits_within_the_limit_are_allowed_and_count_down():
    results = [hit("bucket", limit=3, at=T0 + timedelta(seconds=n)) for n in range(3)]
    assert [r.allowed for r in results] == [True, True, True]
    assert [r.remaining for r in results] == [2, 1, 0]
    assert all(r.retry_after_s == 0 for r in results)
    assert results[0].limit == 3
    assert results[0].reset_after_s == 45


def test_a_hit_over_the_limit_is_refused_until_the_window_ends():
    for _ in range(3):
        hit("bucket", limit=3, at=T0)
    refused = hit("bucket", limit=3, at=T0 + timedelta(seconds=5))
    assert refused == RateLimitResult(
        allowed=False, remaining=0, retry_after_s=40, limit=3, reset_after_s=40
    )
    assert not hit("bucket", limit=3, at=T0 + timedelta(seconds=44.5)).allowed


def test_the_next_window_starts_a_new_count():
    for _ in range(4):
        hit("bucket", limit=3, at=T0)
    next_window = hit("bucket", limit=3, at=T0 + timedelta(seconds=45))
    assert next_window.allowed
    assert next_window.remaining == 2


def test_the_retry_after_is_never_zero_for_a_refusal():
    hit("bucket", limit=1, at=T0)
    end_of_window = T0 + timedelta(seconds=44, microseconds=999_999)
    assert hit("bucket", limit=1, at=end_of_window).retry_after_s == 1


def test_two_buckets_are_counted_apart():
    for _ in range(2):
        hit("api-key:1", limit=2, at=T0)
    assert not hit("api-key:1", limit=2, at=T0).allowed
    other = hit("api-key:2", limit=2, at=T0)
    assert other.allowed
    assert other.remaining == 1


def test_the_same_bucket_with_another_window_length_is_counted_apart():
    hit("bucket", limit=1, per=60, at=T0)
    assert hit("bucket", limit=1, per=3600, at=T0).allowed


def test_an_hour_long_window_counts_for_the_whole_hour():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    hit("hourly", limit=2, per=3600, at=start)
    hit("hourly", limit=2, per=3600, at=start + timedelta(minutes=30))
    refused = hit("hourly", limit=2, per=3600, at=start + timedelta(minutes=50))
    assert not refused.allowed
    assert refused.retry_after_s == 600


def test_a_long_or_odd_bucket_name_still_works():
    name = "client ip: " + "x" * 300
    assert hit(name, limit=1, at=T0).allowed
    assert not hit(name, limit=1, at=T0).allowed


def test_a_limit_of_zero_refuses_everything():
    assert not hit("closed", limit=0, at=T0).allowed


@pytest.mark.parametrize(("limit", "per"), [(-1, 60), (10, 0)])
def test_nonsense_limits_are_a_programming_error(limit, per):
    with pytest.raises(ValueError, match="limit"):
        hit("bucket", limit=limit, per=per, at=T0)


def test_without_redis_a_hit_is_one_statement_and_ended_windows_are_purged(
    settings, django_assert_num_queries
):
    settings.REDIS_URL = ""
    with django_assert_num_queries(1):
        hit("bucket", limit=3, at=T0)
    assert hit("bucket", limit=3, at=T0).remaining == 1
    assert purge_expired(at=T0 + timedelta(seconds=45)) == 0  # the window is still counting
    assert purge_expired(at=T0 + timedelta(seconds=47)) == 1
    assert hit("bucket", limit=3, at=T0 + timedelta(seconds=47)).remaining == 2
