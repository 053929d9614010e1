"""Bulletin notices are never edited or deleted: the database refuses it (a correction is a new notice)."""

from django.db import migrations

TABLE = "sanctions_bulletinnotice"
PG_FORWARD = f"""
CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION iecq_reject_change();
"""
PG_REVERSE = f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};"
SQLITE_FORWARD = [
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE is not allowed'); END;""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE is not allowed'); END;""",
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update;", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;"]


def forward(apps, schema_editor):
    statements = [PG_FORWARD] if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    for statement in statements:
        schema_editor.execute(statement, params=None)


def reverse(apps, schema_editor):
    statements = [PG_REVERSE] if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    # iecq_reject_change() is created by the certificate revisions' migration.
    dependencies = [("sanctions", "0001_initial"), ("certification", "0002_certificate_revisions_append_only")]
    operations = [migrations.RunPython(forward, reverse)]
