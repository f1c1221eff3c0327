# A year of history stays fast (issue 24, item 7): with 500,000 questions and 100,000 clips the
# dashboard's queries read only what waits or builds (partial indexes), the library reads its pages
# from an index, and on PostgreSQL its text search uses trigram indexes (pg_trgm) with statistics
# on the searched expressions, so the planner knows a common word from a rare name. SQLite gets the
# partial indexes only (no pg_trgm there); the search is the same, unindexed.
#
# On a year of history (bench/history.py: 500,000 questions, 100,000 clips) this migration took
# ~20 s on two busy cores, most of it the answers' trigram index, while clip rows cannot be
# written: run it before the studio starts (as `make run` and docker/compose.yaml's migrate do).

import logging

from django.db import DatabaseError, migrations, models, transaction

log = logging.getLogger(__name__)

# Statuses a question with a clip can have (aijesus/studio/views/library.py ANSWERED); the search's
# queries name the same list, so PostgreSQL can prove they fall inside these partial indexes.
ANSWERED = "('pending', 'approved', 'building', 'ready', 'aired', 'failed')"
# name: (table, column searched with icontains, rows covered)
TRIGRAM_INDEXES = {
    "studio_clip_answer_trgm": ("studio_clip", "answer_text", "status = 'ready' AND deleted_at IS NULL"),
    "studio_question_text_trgm": ("studio_question", "text", f"status IN {ANSWERED}"),
    "studio_question_viewer_trgm": ("studio_question", "viewer_name", f"status IN {ANSWERED}"),
}


def add_search_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:  # not installed, or this role may not create it
            log.warning("pg_trgm is not available (%s): the library's text search stays unindexed", exc)
            return
        for name, (table, column, rows) in TRIGRAM_INDEXES.items():
            # icontains is UPPER(column) LIKE UPPER('%text%'): the same expression, indexed.
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (upper({column}) gin_trgm_ops) "
                f"WHERE {rows}"
            )
            # Statistics of the expression (PostgreSQL 14+): without them LIKE '%word%' is guessed
            # at 0.5% of rows, and a word in half the answers is read through the index (every
            # match, ~0.6 s) instead of walking the newest clips until a page is full (~10 ms).
            # A 1000-entry sample: with the default 100, a name in 1.2% of the answers was guessed
            # at 2% in one ANALYZE out of three, and the walk it chose read 41,000 rows (0.16 s).
            if connection.pg_version >= 140000:
                statistics = f"{name}_stats ON (upper({column})) FROM {table}"
                cursor.execute(f"CREATE STATISTICS IF NOT EXISTS {statistics}")
                cursor.execute(f"ALTER STATISTICS {name}_stats SET STATISTICS 1000")
        cursor.execute("ANALYZE studio_clip, studio_question")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute(f"DROP STATISTICS IF EXISTS {name}_stats")


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0009_media_budget"),
    ]

    operations = [
        # The queue's index covered every question ever asked; now only those waiting or building.
        migrations.RemoveIndex(model_name="question", name="studio_ques_status_8d94eb_idx"),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(
                condition=models.Q(("status__in", ("pending", "approved", "building", "ready"))),
                fields=["status", "-priority", "received_at"],
                name="question_live_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="clip",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("status", "ready")),
                fields=["created_at", "id"],
                name="clip_library_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="clip",
            index=models.Index(
                condition=models.Q(
                    ("aired_count", 0), ("deleted_at__isnull", True), ("status__in", ["ready", "building"])
                ),
                fields=["created_at"],
                name="clip_fresh_idx",
            ),
        ),
        migrations.RunPython(add_search_indexes, drop_search_indexes),
    ]
