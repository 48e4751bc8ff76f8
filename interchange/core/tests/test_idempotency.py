"""Idempotency keys: repeats get the first response, reuse with another request is refused."""

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import close_old_connections, connection, transaction

from interchange.core import idempotency
from interchange.core.idempotency import (
    IdempotencyConflict,
    SavedResponse,
    begin,
    fingerprint,
    finish,
    purge_expired,
)
from interchange.core.models import IdempotencyKey

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CREATE = fingerprint("POST", "/open311/v2/requests.json", b'{"service_code": "potholes"}')
OTHER = fingerprint("POST", "/open311/v2/requests.json", b'{"service_code": "graffiti"}')


def start(key="key-1", fp=CREATE, at=T0, scope="open311:client-1"):
    with transaction.atomic():
        return begin(scope=scope, key=key, request_fingerprint=fp, at=at)


def answer(record, body=b'{"ref": "INC-000123"}'):
    finish(record, status_code=201, headers={"Content-Type": "application/json"}, body=body)


@pytest.mark.django_db
class TestOneProcess:
    def test_a_first_request_gets_an_in_progress_key_to_finish(self):
        record = start()
        assert isinstance(record, IdempotencyKey)
        assert record.status_code is None
        assert record.expires_at == T0 + timedelta(hours=24)

    def test_a_repeat_gets_the_saved_response_and_nothing_runs_twice(self):
        answer(start())
        repeat = start(at=T0 + timedelta(hours=1))
        assert repeat == SavedResponse(
            status_code=201,
            headers={"Content-Type": "application/json"},
            body=b'{"ref": "INC-000123"}',
        )
        assert IdempotencyKey.objects.count() == 1

    def test_the_same_key_with_another_request_is_a_conflict(self):
        answer(start())
        with pytest.raises(IdempotencyConflict) as raised:
            start(fp=OTHER)
        assert not raised.value.in_progress
        assert "different request" in str(raised.value)

    def test_a_repeat_before_the_first_has_finished_is_an_in_progress_conflict(self):
        start()  # committed on its own, as long work would, and not finished yet
        with pytest.raises(IdempotencyConflict) as raised:
            start()
        assert raised.value.in_progress

    def test_another_request_with_a_key_in_progress_is_a_plain_conflict(self):
        start()
        with pytest.raises(IdempotencyConflict) as raised:
            start(fp=OTHER)
        assert not raised.value.in_progress

    def test_keys_belong_to_their_scope(self):
        answer(start(scope="open311:client-1"))
        assert isinstance(start(scope="open311:client-2"), IdempotencyKey)
        assert isinstance(start(scope="supplier-api:streetwise"), IdempotencyKey)

    def test_a_key_is_kept_for_24_hours_then_the_request_runs_again(self):
        answer(start())
        just_before = T0 + timedelta(hours=24) - timedelta(microseconds=1)
        assert isinstance(start(at=just_before), SavedResponse)
        again = start(fp=OTHER, at=T0 + timedelta(hours=24))
        assert isinstance(again, IdempotencyKey)
        assert again.fingerprint == OTHER
        assert IdempotencyKey.objects.get().pk == again.pk

    def test_a_shorter_keep_for_ends_the_window_sooner(self):
        with transaction.atomic():
            record = begin(
                scope="s",
                key="k",
                request_fingerprint=CREATE,
                at=T0,
                keep_for=timedelta(minutes=10),
            )
        assert isinstance(record, IdempotencyKey)
        assert record.expires_at == T0 + timedelta(minutes=10)
        answer(record)
        inside = begin(scope="s", key="k", request_fingerprint=CREATE, at=T0 + timedelta(minutes=9))
        assert isinstance(inside, SavedResponse)
        after = begin(scope="s", key="k", request_fingerprint=CREATE, at=T0 + timedelta(minutes=10))
        assert isinstance(after, IdempotencyKey)
        assert IdempotencyKey.objects.count() == 1

    @pytest.mark.parametrize("keep_for", [timedelta(0), timedelta(seconds=-1)])
    def test_a_keep_for_that_is_not_positive_is_refused(self, keep_for):
        with pytest.raises(ValueError, match="keep_for"):
            begin(scope="s", key="k", request_fingerprint=CREATE, at=T0, keep_for=keep_for)

    def test_a_request_that_fails_leaves_no_key_behind(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            begin(scope="s", key="k", request_fingerprint=CREATE, at=T0)
            raise RuntimeError("the work failed")
        assert not IdempotencyKey.objects.exists()
        assert isinstance(start(scope="s", key="k"), IdempotencyKey)

    def test_begin_works_inside_or_outside_a_transaction(self):
        record = begin(scope="s", key="outside", request_fingerprint=CREATE, at=T0)
        assert isinstance(record, IdempotencyKey)

    @pytest.mark.parametrize("key", ["", "k" * 256])
    def test_an_empty_or_overlong_key_is_refused(self, key):
        with pytest.raises(ValueError, match="1 to 255"):
            start(key=key)

    def test_purge_deletes_only_expired_keys(self):
        answer(start(key="old", at=T0))
        answer(start(key="new", at=T0 + timedelta(hours=12)))
        assert purge_expired(at=T0 + timedelta(hours=24)) == 1
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
        assert purge_expired(at=T0 + timedelta(hours=24)) == 0

    def test_a_binary_body_comes_back_byte_for_byte(self):
        body = bytes(range(256))
        answer(start(), body=body)
        assert start().body == body


def test_the_fingerprint_separates_its_parts():
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert fingerprint("a", b"b") == fingerprint(b"a", "b")
    assert len(fingerprint("x")) == 64


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite runs one writer at a time"
)


def _in_thread(target, results, name):
    def run():
        try:
            results[name] = target()
        except Exception as exc:  # recorded for the test to inspect
            results[name] = exc
        finally:
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@postgres_only
@pytest.mark.django_db(transaction=True)
class TestConcurrentRequestsOnPostgres:
    def test_of_two_at_once_the_second_waits_and_gets_the_first_response(self):
        first_has_key = threading.Event()
        results: dict[object, Any] = {}

        def first():
            with transaction.atomic():
                record = begin(scope="s", key="k", request_fingerprint=CREATE)
                first_has_key.set()
                time.sleep(0.5)  # the work; the second request arrives meanwhile
                answer(record)
                return record

        def second():
            first_has_key.wait(5)
            started = time.monotonic()
            with transaction.atomic():
                outcome = begin(scope="s", key="k", request_fingerprint=CREATE)
            return outcome, time.monotonic() - started

        threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
        for thread in threads:
            thread.join(10)
        assert isinstance(results["first"], IdempotencyKey)
        outcome, waited = results["second"]
        assert isinstance(outcome, SavedResponse)
        assert outcome.status_code == 201
        assert waited > 0.2
        assert IdempotencyKey.objects.count() == 1

    def test_when_the_first_fails_the_waiting_second_does_the_work(self):
        first_has_key = threading.Event()
        results: dict[object, Any] = {}

        def first():
            with transaction.atomic():
                begin(scope="s", key="k", request_fingerprint=CREATE)
                first_has_key.set()
                time.sleep(0.3)
                transaction.set_rollback(True)
            return "rolled back"

        def second():
            first_has_key.wait(5)
            with transaction.atomic():
                record = begin(scope="s", key="k", request_fingerprint=CREATE)
                answer(record)
                return record

        threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
        for thread in threads:
            thread.join(10)
        assert isinstance(results["second"], IdempotencyKey)
        assert IdempotencyKey.objects.get().status_code == 201

    def test_a_committed_claim_makes_a_concurrent_repeat_an_in_progress_conflict(self):
        claimed, repeated = threading.Event(), threading.Event()
        results: dict[object, Any] = {}

        def first():
            record = begin(scope="s", key="k", request_fingerprint=CREATE)  # commits the claim
            claimed.set()
            repeated.wait(5)
            answer(record)
            return record

        def second():
            claimed.wait(5)
            try:
                with transaction.atomic():
                    return begin(scope="s", key="k", request_fingerprint=CREATE)
            finally:
                repeated.set()

        threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
        for thread in threads:
            thread.join(10)
        assert isinstance(results["first"], IdempotencyKey)
        assert isinstance(results["second"], IdempotencyConflict)
        assert results["second"].in_progress

    def test_of_many_at_once_exactly_one_proceeds(self):
        barrier = threading.Barrier(6)
        results: dict[object, Any] = {}

        def request():
            barrier.wait(5)
            try:
                with transaction.atomic():
                    outcome = begin(scope="s", key="k", request_fingerprint=CREATE)
                    if isinstance(outcome, IdempotencyKey):
                        time.sleep(0.2)
                        answer(outcome)
                    return outcome
            except IdempotencyConflict as conflict:
                return conflict

        threads = [_in_thread(request, results, n) for n in range(6)]
        for thread in threads:
            thread.join(15)
        outcomes = list(results.values())
        assert len(outcomes) == 6
        assert sum(isinstance(o, IdempotencyKey) for o in outcomes) == 1
        for other in (o for o in outcomes if not isinstance(o, IdempotencyKey)):
            assert isinstance(other, SavedResponse) or (
                isinstance(other, IdempotencyConflict) and other.in_progress
            ), other
        assert IdempotencyKey.objects.count() == 1


def test_the_24_hours_are_the_documented_window():
    assert timedelta(hours=24) == idempotency.KEEP_FOR
