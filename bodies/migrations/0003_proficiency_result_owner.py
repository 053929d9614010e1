"""A proficiency result carries its laboratory's owner (docs/performance.md): the column, filled for the results
already recorded, and the index a CB's results newest first are read from."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_owners(apps, schema_editor):
    result = apps.get_model("bodies", "ProficiencyResult")
    laboratory = apps.get_model("bodies", "TestLaboratory")
    owner = laboratory.objects.filter(pk=OuterRef("laboratory_id")).values("owner_id")[:1]
    result.objects.update(owner_id=Subquery(owner))


class Migration(migrations.Migration):
    dependencies = [
        ("bodies", "0002_equipment_proficiencyround_scheme_supervisorybody_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="proficiencyresult",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="bodies.certificationbody",
            ),
        ),
        migrations.RunPython(copy_owners, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="proficiencyresult",
            index=models.Index(fields=["owner", "id"], name="proficiency_result_cb_newest"),
        ),
    ]
