"""Evidence carries its application's CB (docs/performance.md): the column, filled for the rows
already stored, and the index a CB's rows newest first are read from."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_cbs(apps, schema_editor):
    rows = apps.get_model("certification", "Evidence")
    parents = apps.get_model("certification", "Application")
    cb = parents.objects.filter(pk=OuterRef("application_id")).values("certification_body_id")[:1]
    rows.objects.update(certification_body_id=Subquery(cb))


class Migration(migrations.Migration):

    dependencies = [
        ('bodies', '0003_proficiency_result_owner'),
        ('certification', '0009_pdf_batch_expired'),
    ]

    operations = [
        migrations.AddField(
            model_name='evidence',
            name='certification_body',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='bodies.certificationbody'),
        ),
        migrations.RunPython(copy_cbs, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='evidence',
            index=models.Index(fields=['certification_body', 'id'], name='evidence_cb_newest'),
        ),
    ]
