# Written by hand: 0006's backfill rewrote most certificate rows and its partial indexes were built in the same
# transaction, so they still hold entries of the rows' old versions until a vacuum. Run one now (autovacuum may be
# off, as on the bench server) and refresh the planner's statistics of the new columns.

from django.db import migrations


class Migration(migrations.Migration):

    atomic = False  # VACUUM cannot run inside a transaction

    dependencies = [
        ('certification', '0006_periodic_audit_planned'),
    ]

    operations = [
        migrations.RunSQL("VACUUM ANALYZE certification_certificate", migrations.RunSQL.noop, elidable=True),
    ]
