"""The benchmark database keeper builds a template once and hands out fresh copies."""

import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from bench import databases

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="benchmark databases are PostgreSQL templates"
)


def test_a_template_is_built_once_per_version_and_each_copy_starts_from_it():
    name = f"t{uuid.uuid4().hex[:8]}"
    builds = []

    def build(url):
        builds.append(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE item (n int)")
            conn.execute("INSERT INTO item VALUES (1), (2), (3)")

    try:
        for _ in range(2):
            with databases.fresh_copy(name, "v1", build) as url, psycopg.connect(url) as conn:
                assert conn.execute("SELECT count(*) FROM item").fetchone() == (3,)
                conn.execute("DELETE FROM item")
                conn.commit()
        assert len(builds) == 1
        with databases.fresh_copy(name, "v2", build):
            pass
        assert len(builds) == 2
    finally:
        with psycopg.connect(databases.SERVER_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "bench_{name}_template" WITH (FORCE)')


def test_the_servers_cpu_counts_the_work_a_query_makes_it_do():
    before = databases.server_cpu()
    if before is None:
        pytest.skip("the benchmark database server does not run on this machine")
    with psycopg.connect(databases.SERVER_URL) as conn:
        # About a second of one core's work, then the connection closes: once its process
        # has ended, its time is on the reaped processes' account and must still be counted.
        conn.execute("SELECT count(*) FROM generate_series(1, 20000000)").fetchone()
        backend = Path(f"/proc/{conn.info.backend_pid}")
    for _ in range(100):
        if not backend.exists():
            break
        time.sleep(0.05)
    after = databases.server_cpu()
    assert after is not None
    assert 0.2 < after - before < 30
