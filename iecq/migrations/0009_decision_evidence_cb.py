"""Decision evidence carries its log row's CB (docs/performance.md): the column, filled for the rows
already stored, and the index a CB's rows newest first are read from."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_cbs(apps, schema_editor):
    rows = apps.get_model("iecq", "DecisionEvidence")
    parents = apps.get_model("iecq", "TransitionLog")
    cb = parents.objects.filter(pk=OuterRef("log_id")).values("certification_body_id")[:1]
    rows.objects.update(certification_body_id=Subquery(cb))


class Migration(migrations.Migration):

    dependencies = [
        ('bodies', '0003_proficiency_result_owner'),
        ('iecq', '0008_row_level_security'),
    ]

    operations = [
        migrations.AddField(
            model_name='decisionevidence',
            name='certification_body',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bodies.certificationbody'),
        ),
        migrations.RunPython(copy_cbs, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='decisionevidence',
            index=models.Index(fields=['certification_body', 'id'], name='decision_evidence_cb_newest'),
        ),
    ]
