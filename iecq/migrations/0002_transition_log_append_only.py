"""Make the transition log append-only in the database itself: UPDATE and DELETE are rejected."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION iecq_reject_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'iecq_transitionlog is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER iecq_transitionlog_append_only
    BEFORE UPDATE OR DELETE ON iecq_transitionlog
    FOR EACH ROW EXECUTE FUNCTION iecq_reject_log_change();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS iecq_transitionlog_append_only ON iecq_transitionlog;
DROP FUNCTION IF EXISTS iecq_reject_log_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER iecq_transitionlog_no_update BEFORE UPDATE ON iecq_transitionlog
       BEGIN SELECT RAISE(ABORT, 'iecq_transitionlog is append-only: UPDATE is not allowed'); END;""",
    """CREATE TRIGGER iecq_transitionlog_no_delete BEFORE DELETE ON iecq_transitionlog
       BEGIN SELECT RAISE(ABORT, 'iecq_transitionlog is append-only: DELETE is not allowed'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS iecq_transitionlog_no_update;",
    "DROP TRIGGER IF EXISTS iecq_transitionlog_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"No append-only trigger for database vendor {vendor}.")


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [PG_REVERSE] if vendor == "postgresql" else SQLITE_REVERSE
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("iecq", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
