"""Two repairs of existing data, both idempotent:

- the employer a case is about is linked to the case's units, as the complainant is: without the
  link the case page's employer link was a 404 for the clerk who sees the case (the demo data had
  been written without the links); new cases get their link at intake;
- a task's parts created since the kernel had no report date of their own (the fixed clock does
  not write it), so a part reported late was not marked overdue: they take the task's date."""

import datetime

from django.db import migrations


def forwards(apps, schema_editor):
    Petition = apps.get_model("petitions", "Petition")
    EmployerLink = apps.get_model("servicecenter", "EmployerLink")
    OrgUnit = apps.get_model("servicecenter", "OrgUnit")
    paths = dict(OrgUnit.objects.values_list("pk", "path"))
    pairs = set()
    rows = (Petition.objects.filter(employer__isnull=False)
            .values_list("employer_id", "employer__org_unit_id", "org_unit_id", "received_unit_id"))
    for employer_id, home, owner, received in rows.iterator(chunk_size=5000):
        for unit in {owner, received}:
            if not paths[home].startswith(paths[unit]):
                pairs.add((employer_id, unit))
    existing = set(EmployerLink.objects.values_list("employer_id", "org_unit_id"))
    EmployerLink.objects.bulk_create([EmployerLink(employer_id=e, org_unit_id=u) for e, u in pairs - existing],
                                     batch_size=1000, ignore_conflicts=True)
    TaskTarget = apps.get_model("petitions", "TaskTarget")
    one_day = datetime.timedelta(days=1)
    for t in TaskTarget.objects.filter(due_date__isnull=True).select_related("task"):
        t.due_date = t.task.due_date
        late = t.reported_on > t.due_date if t.reported_on else True
        t.late_from = t.due_date + one_day if late else None
        t.save(update_fields=["due_date", "late_from"])


class Migration(migrations.Migration):
    dependencies = [("petitions", "0005_intake"), ("servicecenter", "0008_kernel")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
