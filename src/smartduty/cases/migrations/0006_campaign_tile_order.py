"""The seed's campaign categories come first after 违法停车 (the officer app's first tiles).

Rows that still have the `sort_order` `0002_defaults` shipped them (100 + their index in the
list) move to 2-7; a row a city has reordered in the back office keeps its own value. A fresh
install already has the new order (0002 reads `cases.defaults.sort_order_of`), so this finds
nothing to change there. Reverse: the rows at the new value go back to the shipped one.
"""

from django.db import migrations

# code: (shipped by 0002 before this migration, new)
_ORDER = {
    "E0401": (111, 2),  # 占道经营
    "E0402": (112, 3),  # 店外经营
    "E0403": (113, 4),  # 流动摊贩
    "E0201": (105, 5),  # 非法小广告（乱贴乱画）
    "E0405": (115, 6),  # 不遵守交通规则
    "E0406": (116, 7),  # 低速电动车违规
}


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Category = apps.get_model("cases", "Category")
    for code, (shipped, new) in _ORDER.items():
        Category.objects.filter(code=code, sort_order=shipped).update(sort_order=new)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    Category = apps.get_model("cases", "Category")
    for code, (shipped, new) in _ORDER.items():
        Category.objects.filter(code=code, sort_order=new).update(sort_order=shipped)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_case_board_order")]

    operations = [migrations.RunPython(forward, backward)]
