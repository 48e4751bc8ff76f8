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
from pathlib import Path
from typing import Any

import dj_database_url
import psycopg
from django.db import connections
from psycopg import sql

SERVER_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def server_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL server's processes, those it has reaped (its
    parallel workers, closed connections) included, read from /proc where the server runs on
    this machine; None where it does not, or where /proc does not show it."""
    host = dj_database_url.parse(SERVER_URL)["HOST"] or ""
    # A Unix socket's directory, or a loopback address: the server runs on this machine.
    if not host.startswith("/") and host not in ("127.0.0.1", "localhost", "::1", ""):
        return None
    processes: dict[int, tuple[int, list[str]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended meanwhile
            continue
        if text[text.index("(") + 1 : text.rindex(")")] == "postgres":
            fields = text[text.rindex(")") + 2 :].split()
            processes[int(stat.parent.name)] = (int(fields[1]), fields)
    if not processes:
        return None
    ticks = 0
    for parent, fields in processes.values():
        ticks += int(fields[11]) + int(fields[12])  # user and system time
        if parent not in processes:  # the postmaster: its reaped children's time too
            ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


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


def ensure_template(
    name: str, version: str, build: Callable[[str], None], *, migrate_forward: bool = False
) -> str:
    """The template database for `name` at `version`, built by `build(database_url)` if needed.

    With `migrate_forward`, `version` names the data only: a template of that data whose
    schema is older than the migrations on disk is migrated forward (as a deployment would be)
    instead of rebuilt, since the schema moves far more often than the data and rebuilding a
    million tickets takes many minutes.
    """
    template = f"bench_{name}_template"
    wanted = f"{version}-{schema_digest()}" if migrate_forward else version
    with _admin() as conn:
        found = _comment(conn, template)
        if found == wanted:
            return template
        stale_schema = migrate_forward and found is not None and found.startswith(f"{version}-")
        if not stale_schema:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    if stale_schema:
        _migrate(_url_for(template))
    else:
        build(_url_for(template))
    with _admin() as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(template), sql.Literal(wanted)
            )
        )
    return template


def _migrate(url: str) -> None:
    from django.core.management import call_command

    with django_uses(url):
        call_command("migrate", verbosity=0)
        with connections["default"].cursor() as cursor:
            cursor.execute("ANALYZE")  # the new tables' statistics travel with the template


@contextmanager
def fresh_copy(
    name: str,
    version: str,
    build: Callable[[str], None],
    *,
    run: str = "run",
    migrate_forward: bool = False,
) -> Iterator[str]:
    """Yield the URL of a new copy of the template, dropped afterwards; the template is kept.
    Benchmarks sharing one template name their copies apart with `run`."""
    template = ensure_template(name, version, build, migrate_forward=migrate_forward)
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
