"""A real `manage.py worker` killed with SIGKILL in the middle of a job, again and again:
it loses only its lease, the job runs again once the lease is over, and its effect happens
exactly once. On PostgreSQL the worker uses the test database itself; on SQLite (whose test
database lives in memory) the test copies it to a file for the worker and back to read."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from interchange.core.jobs import enqueue
from interchange.core.models import IdempotencyKey, Job
from interchange.core.tests import slow_handler

KILLS = 20
LEASE_S = 0.5
# Every wait is bounded, so a broken worker fails the test instead of hanging it.
WAIT_S = 15


class SharedDatabase:
    """The test database as a worker subprocess sees it."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.env = {**os.environ, "LOG_LEVEL": "INFO"}
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
            self.env["DATABASE_URL"] = (
                f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or 'localhost'}"
                f":{db['PORT'] or 5432}/{quote(db['NAME'])}"
            )
            self.file = None
        else:
            self.env["DATABASE_URL"] = ""
            self.env["VAR_DIR"] = str(tmp_path)
            self.file = tmp_path / "interchange.sqlite3"

    def push(self):
        """Make what the test wrote visible to the worker."""
        if self.file:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def pull(self):
        """Make what the worker committed visible to the test."""
        if self.file:
            connection.ensure_connection()
            source = sqlite3.connect(self.file)
            source.backup(connection.connection)
            source.close()

    def start_worker(self, name: str, *, hold_s: float) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("w")
        return subprocess.Popen(  # noqa: S603 - our own manage.py
            [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "worker",
                f"--name={name}",
                "--poll=0.05",
                f"--lease={LEASE_S}",
                "--import=interchange.core.tests.slow_handler",
            ],
            env={**self.env, "SLOW_HANDLER_HOLD_S": str(hold_s)},
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def notes(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def wait_until(condition, worker: subprocess.Popen, what: str, tmp_path: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if worker.poll() is not None or time.monotonic() > deadline:
            logs = "\n".join(p.read_text()[-2000:] for p in sorted(tmp_path.glob("*.log")))
            pytest.fail(f"gave up waiting for {what}; worker logs:\n{logs}")
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_job_20_times_loses_only_its_lease_and_the_effect_happens_once(
    tmp_path,
):
    shared = SharedDatabase(tmp_path)
    handler_log = tmp_path / "handler.notes"
    job = enqueue(
        slow_handler.KIND, {"key": "once", "log": str(handler_log)}, max_attempts=KILLS + 5
    )
    assert job is not None
    shared.push()

    for kill in range(KILLS):
        # Half the kills land before the handler's write, half after it but before the commit.
        moment = "start" if kill % 2 == 0 else "wrote"
        seen = notes(handler_log).count(moment)
        doomed = shared.start_worker(f"doomed-{kill}", hold_s=60)
        try:
            wait_until(
                lambda: notes(handler_log).count(moment) > seen,  # noqa: B023 - used at once
                doomed,
                f"kill {kill}: the handler's {moment!r}",
                tmp_path,
            )
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(WAIT_S)

    survivor = shared.start_worker("survivor", hold_s=0)
    try:

        def job_done():
            shared.pull()
            job.refresh_from_db()
            return job.state == Job.State.DONE

        wait_until(job_done, survivor, "the job to finish", tmp_path)
    finally:
        survivor.send_signal(signal.SIGTERM)
        returncode = survivor.wait(WAIT_S)

    assert returncode == 0, "SIGTERM stops the worker cleanly"
    shared.pull()
    job.refresh_from_db()
    assert job.attempts == KILLS + 1
    assert job.locked_until is None
    assert notes(handler_log).count("start") == KILLS + 1
    assert notes(handler_log).count("wrote") == KILLS // 2 + 1
    (effect,) = IdempotencyKey.objects.filter(scope=slow_handler.SCOPE)
    assert effect.status_code == 1, "the effect was committed more than once"
