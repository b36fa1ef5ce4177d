"""Every parking report made before the loop ran on the case core gets its case row
(smartduty.parking.backfill.link_cases, batched)."""

from django.db import migrations


def link(apps, schema_editor):  # type: ignore[no-untyped-def]
    from smartduty.parking.backfill import Models, link_cases  # noqa: PLC0415

    link_cases(
        Models(
            report=apps.get_model("parking", "ParkingReport"),
            transition=apps.get_model("parking", "ParkingTransition"),
            case=apps.get_model("cases", "Case"),
            case_transition=apps.get_model("cases", "CaseTransition"),
            case_sequence=apps.get_model("cases", "CaseSequence"),
            category=apps.get_model("cases", "Category"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("parking", "0003_parkingreport_case")]

    operations = [migrations.RunPython(link, migrations.RunPython.noop)]
