"""The full-text index over search documents: a generated tsvector with a GIN index on
PostgreSQL, an FTS5 table kept in step by triggers on SQLite."""

from django.db import migrations

POSTGRES = [
    (
        "ALTER TABLE servicedesk_searchdocument ADD COLUMN vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED",
        "ALTER TABLE servicedesk_searchdocument DROP COLUMN vector",
    ),
    (
        "CREATE INDEX sd_search_vector ON servicedesk_searchdocument USING gin (vector)",
        "DROP INDEX IF EXISTS sd_search_vector",
    ),
]

SQLITE = [
    (
        "CREATE VIRTUAL TABLE servicedesk_search_fts USING fts5("
        "body, content='servicedesk_searchdocument', content_rowid='ticket_id', "
        "tokenize='porter unicode61')",
        "DROP TABLE IF EXISTS servicedesk_search_fts",
    ),
    (
        "CREATE TRIGGER sd_search_ai AFTER INSERT ON servicedesk_searchdocument BEGIN "
        "INSERT INTO servicedesk_search_fts(rowid, body) VALUES (new.ticket_id, new.body); END",
        "DROP TRIGGER IF EXISTS sd_search_ai",
    ),
    (
        "CREATE TRIGGER sd_search_ad AFTER DELETE ON servicedesk_searchdocument BEGIN "
        "INSERT INTO servicedesk_search_fts(servicedesk_search_fts, rowid, body) "
        "VALUES ('delete', old.ticket_id, old.body); END",
        "DROP TRIGGER IF EXISTS sd_search_ad",
    ),
    (
        "CREATE TRIGGER sd_search_au AFTER UPDATE ON servicedesk_searchdocument BEGIN "
        "INSERT INTO servicedesk_search_fts(servicedesk_search_fts, rowid, body) "
        "VALUES ('delete', old.ticket_id, old.body); "
        "INSERT INTO servicedesk_search_fts(rowid, body) VALUES (new.ticket_id, new.body); END",
        "DROP TRIGGER IF EXISTS sd_search_au",
    ),
]


def _run(index):
    def run(apps, schema_editor):
        chosen = {"postgresql": POSTGRES, "sqlite": SQLITE}.get(schema_editor.connection.vendor, [])
        ordered = chosen if index == 0 else list(reversed(chosen))
        for pair in ordered:
            schema_editor.execute(pair[index])

    return run


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_tickets_and_timeline")]

    operations = [migrations.RunPython(_run(0), _run(1))]
