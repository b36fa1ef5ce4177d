"""The default categories and the 2026 working calendar (smartduty.cases.defaults)."""

from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):  # type: ignore[no-untyped-def]
    from smartduty.cases import defaults  # noqa: PLC0415
    from smartduty.cases.workcalendar import DEFAULT_2026_HOLIDAYS, DEFAULT_2026_WORKDAYS  # noqa: PLC0415

    Category = apps.get_model("cases", "Category")
    CalendarDay = apps.get_model("cases", "CalendarDay")
    majors = {}
    for order, (code, name) in enumerate(defaults.MAJOR, start=1):
        majors[code] = Category.objects.get_or_create(
            code=code, defaults={"name": name, "kind": "event", "sort_order": order * 10}
        )[0]
    for order, (code, name, agency_kind, (amount, unit), extra) in enumerate(defaults.MINOR):
        fields = {
            "name": name,
            "parent": majors[code[:3]],
            "kind": "event",
            "agency_kind": agency_kind,
            "handle_limit": Decimal(amount),
            "handle_unit": unit,
            "sort_order": defaults.sort_order_of(code, order),
            **extra,
        }
        if "dispatch_limit" in fields:
            fields["dispatch_limit"] = Decimal(fields["dispatch_limit"])
        Category.objects.get_or_create(code=code, defaults=fields)
    for day, name in DEFAULT_2026_HOLIDAYS.items():
        CalendarDay.objects.get_or_create(day=day, defaults={"kind": "holiday", "name": name})
    for day, name in DEFAULT_2026_WORKDAYS.items():
        CalendarDay.objects.get_or_create(day=day, defaults={"kind": "workday", "name": name})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
