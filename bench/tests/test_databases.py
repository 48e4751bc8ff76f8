"""The benchmark database keeper builds a template once and hands out fresh copies."""

import uuid

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
