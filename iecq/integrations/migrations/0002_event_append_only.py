"""Make the event feed append-only in the database itself: UPDATE and DELETE are rejected."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION integrations_reject_event_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'integrations_event is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER integrations_event_append_only
    BEFORE UPDATE OR DELETE ON integrations_event
    FOR EACH ROW EXECUTE FUNCTION integrations_reject_event_change();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS integrations_event_append_only ON integrations_event;
DROP FUNCTION IF EXISTS integrations_reject_event_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER integrations_event_no_update BEFORE UPDATE ON integrations_event
       BEGIN SELECT RAISE(ABORT, 'integrations_event is append-only: UPDATE is not allowed'); END;""",
    """CREATE TRIGGER integrations_event_no_delete BEFORE DELETE ON integrations_event
       BEGIN SELECT RAISE(ABORT, 'integrations_event is append-only: DELETE is not allowed'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS integrations_event_no_update;",
    "DROP TRIGGER IF EXISTS integrations_event_no_delete;",
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
    for statement in [PG_REVERSE] if vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_events_webhooks_watchlists")]
    operations = [migrations.RunPython(forward, reverse)]
