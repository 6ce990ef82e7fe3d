"""The problem categories seen in the sources (DOMAIN.md §3); the administrator edits the list."""

from django.db import migrations

CATEGORIES = [
    "工资报酬/拖欠工资", "劳动合同", "社会保险", "工伤/职业病", "劳动安全卫生", "工作时间与休息休假",
    "女职工和未成年工特殊保护", "民主权利(职代会/集体合同)", "人身权利", "生活困难", "就业", "法律咨询",
    "意见建议", "其他",
]


def seed(apps, schema_editor):
    Category = apps.get_model("petitions", "Category")
    for order, name in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(name=name, defaults={"order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
