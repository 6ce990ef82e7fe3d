"""Seed the working-day calendar with China's holidays and adjusted working days."""

from django.db import migrations


def seed(apps, schema_editor):
    from servicecenter.workdays import calendar_rows

    model = apps.get_model("servicecenter", "CalendarDay")
    model.objects.bulk_create(calendar_rows(model), batch_size=500, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("servicecenter", "0002_audit_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
