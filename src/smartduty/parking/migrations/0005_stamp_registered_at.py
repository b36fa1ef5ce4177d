"""The cases that `0004_cases_for_reports` linked to old reports get their 立案 time
(`Case.registered_at`), whichever of that migration and `cases.0007` ran first."""

from django.db import migrations

from smartduty.cases.backfill import stamp_registered_at


def stamp(apps, schema_editor):
    stamp_registered_at(apps.get_model("cases", "Case"), apps.get_model("cases", "CaseTransition"))


class Migration(migrations.Migration):
    dependencies = [
        ("parking", "0004_cases_for_reports"),
        ("cases", "0007_registered_at"),
    ]

    operations = [migrations.RunPython(stamp, migrations.RunPython.noop)]
