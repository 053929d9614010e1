"""Row-level security on every tenant-owned table (docs/security.md).

The policies are generated from the models' Tenancy declarations (iecq.rls), so this migration uses the
current models, not the historical ones; the post_migrate hook re-applies them after every migrate,
which is what keeps them in step with later changes and new apps.
"""

from django.db import migrations


def forward(apps, schema_editor):
    from iecq.rls import apply_policies

    apply_policies(using=schema_editor.connection.alias)


def reverse(apps, schema_editor):
    from iecq.rls import POLICY, tenant_models

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    qn = connection.ops.quote_name
    for model in tenant_models():
        table = model._meta.db_table
        if table in existing:
            schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {qn(table)}")
            schema_editor.execute(f"ALTER TABLE {qn(table)} DISABLE ROW LEVEL SECURITY")


class Migration(migrations.Migration):
    dependencies = [
        ("iecq", "0007_indexes_for_scale"),
        ("bodies", "0002_equipment_proficiencyround_scheme_supervisorybody_and_more"),
        ("manufacturers", "0002_contact"),
        ("certification", "0005_indexes_for_scale"),
        ("surveillance", "0002_indexes_for_scale"),
        ("sanctions", "0004_indexes_for_scale"),
        ("integrations", "0002_event_append_only"),
        ("imports", "0001_import_job"),
    ]
    operations = [migrations.RunPython(forward, reverse)]
