"""Full-text search of comment bodies on PostgreSQL (nothing on SQLite).

A stored generated ``tsvector`` column (``simple`` configuration: no stemming,
so it suits Korean and every other language alike) with a GIN index. The
column is unknown to the ORM; ``moderation.queues.text_search`` queries it
with raw SQL on PostgreSQL only. Stored, so a scan never re-parses bodies.
Adding it rewrites the table once: on a large installation run this migration
in a quiet hour.
"""

from django.db import migrations

CREATE = [
    "ALTER TABLE comments_comment ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE(body, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS comment_search_vector ON comments_comment USING gin (search_vector)",
]
DROP = [
    "DROP INDEX IF EXISTS comment_search_vector",
    "ALTER TABLE comments_comment DROP COLUMN IF EXISTS search_vector",
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("comments", "0004_commenter_token_hash")]
    operations = [migrations.RunPython(create, drop)]
