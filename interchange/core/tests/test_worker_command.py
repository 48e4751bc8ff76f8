"""`manage.py worker`: one turn with --once, options, logging, and one worker per SQLite file."""

import logging
import os
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from interchange.core.jobs import HANDLERS, PERIODIC, enqueue, handler
from interchange.core.models import Job, WorkerHeartbeat
from interchange.core.worker import AnotherWorkerIsRunning, sqlite_worker_lock


@pytest.fixture(autouse=True)
def registry():
    with mock.patch.dict(HANDLERS, clear=True), mock.patch.dict(PERIODIC, clear=True):
        yield


@pytest.mark.django_db
class TestOnce:
    def test_once_runs_the_due_jobs_and_stops(self):
        done: list[dict] = []
        handler("k")(done.append)
        enqueue("k", {"n": 1})
        enqueue("k", {"n": 2})
        call_command("worker", "--once", "--name", "test-worker")
        assert done == [{"n": 1}, {"n": 2}]
        assert set(Job.objects.values_list("state", flat=True)) == {Job.State.DONE}
        assert WorkerHeartbeat.objects.get().name == "test-worker"

    def test_it_logs_each_jobs_start_and_outcome_as_structured_records(self, caplog):
        handler("good")(lambda payload: None)

        @handler("bad")
        def divide(payload):
            payload["n"] = 1 / 0

        enqueue("good")
        enqueue("bad", {"n": 0})
        with caplog.at_level(logging.INFO, logger="interchange.worker"):
            call_command("worker", "--once", "--name", "test-worker")
        events = [(r.event, r.kind, r.worker) for r in caplog.records if hasattr(r, "job_id")]
        assert events == [
            ("job.started", "good", "test-worker"),
            ("job.done", "good", "test-worker"),
            ("job.started", "bad", "test-worker"),
            ("job.retry", "bad", "test-worker"),
        ]
        retry = next(r for r in caplog.records if getattr(r, "event", "") == "job.retry")
        assert retry.error == "ZeroDivisionError: division by zero"

    def test_import_loads_a_module_that_registers_handlers(self):
        with mock.patch.dict(sys.modules):
            sys.modules.pop("interchange.core.tests.slow_handler", None)
            call_command("worker", "--once", "--import", "interchange.core.tests.slow_handler")
        assert "tests.slow_effect" in HANDLERS

    def test_nonsense_options_are_refused(self):
        with pytest.raises(CommandError, match="--batch"):
            call_command("worker", "--once", "--batch", "0")


class TestOneWorkerPerSqliteFile:
    def test_a_second_holder_of_the_lock_is_refused_until_the_first_lets_go(self, tmp_path):
        database = tmp_path / "interchange.sqlite3"
        with (
            sqlite_worker_lock(database),
            pytest.raises(AnotherWorkerIsRunning, match="SQLite runs one worker"),
            sqlite_worker_lock(database),
        ):
            pass
        with sqlite_worker_lock(database):
            pass

    def test_the_command_refuses_to_start_beside_a_running_worker(self, tmp_path):
        env = {**os.environ, "DATABASE_URL": "", "VAR_DIR": str(tmp_path)}
        with sqlite_worker_lock(tmp_path / "interchange.sqlite3"):
            result = subprocess.run(  # noqa: S603 - our own manage.py
                [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker", "--once"],
                env=env,
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        assert result.returncode != 0
        assert "Another worker is already running on the SQLite database" in result.stderr
