"""Large benchmark databases kept between runs: a PostgreSQL template built once, copied per run.

Building a million tickets takes minutes; copying a template takes seconds. A
template is rebuilt only when its `version` string changes (stored as the
database's comment), so a benchmark bumps the version when its data changes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dj_database_url
import psycopg
from django.db import connections
from psycopg import sql

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(SERVER_URL, autocommit=True)


def _url_for(dbname: str) -> str:
    parts = dj_database_url.parse(SERVER_URL)
    auth = parts["USER"] + (f":{parts['PASSWORD']}" if parts.get("PASSWORD") else "")
    return f"postgres://{auth}@{parts['HOST']}:{parts['PORT'] or 5432}/{dbname}"


def schema_digest() -> str:
    """A short digest of every migration's name: part of a template's version, so a template
    is rebuilt whenever the schema changes."""
    from django.db.migrations.loader import MigrationLoader

    names = sorted(f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]


def _comment(conn: psycopg.Connection[Any], dbname: str) -> str | None:
    row = conn.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [dbname],
    ).fetchone()
    if row is None:
        return None
    return row[0] or ""


def ensure_template(name: str, version: str, build: Callable[[str], None]) -> str:
    """The template database for `name` at `version`, built by `build(database_url)` if needed."""
    template = f"bench_{name}_template"
    with _admin() as conn:
        if _comment(conn, template) == version:
            return template
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    build(_url_for(template))
    with _admin() as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(template), sql.Literal(version)
            )
        )
    return template


@contextmanager
def fresh_copy(
    name: str, version: str, build: Callable[[str], None], *, run: str = "run"
) -> Iterator[str]:
    """Yield the URL of a new copy of the template, dropped afterwards; the template is kept.
    Benchmarks sharing one template name their copies apart with `run`."""
    template = ensure_template(name, version, build)
    copy = f"bench_{name}_{run}"
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(copy), sql.Identifier(template)
            )
        )
    try:
        yield _url_for(copy)
    finally:
        connections.close_all()
        with _admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy))
            )


@contextmanager
def django_uses(url: str) -> Iterator[None]:
    """Django's default connection on the PostgreSQL database at `url` for the block, whatever
    database the settings name (`make bench` runs without DATABASE_URL), then back."""
    saved = connections.settings["default"]
    connections["default"].close()
    connections.settings["default"] = {
        **saved,
        **dj_database_url.parse(url),
        "OPTIONS": {},
        "CONN_MAX_AGE": 0,
    }
    del connections["default"]
    try:
        yield
    finally:
        connections["default"].close()
        connections.settings["default"] = saved
        del connections["default"]
