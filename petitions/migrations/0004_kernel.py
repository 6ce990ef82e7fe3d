"""The kernel: petitions, notices and tasks on the shared deadline clock, the timeline on the
shared case event. Existing rows keep their due dates exactly: a case's past pauses are folded into
its length (their dates were not kept), and existing calendar-day deadlines do not roll over."""

import datetime

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

ONE_DAY = datetime.timedelta(days=1)
OLD_KINDS = {
    "intake": "受理登记", "answer": "当场答复", "assign": "交办", "send_up": "上报", "forward": "转办",
    "reply": "转办答复", "pause": "暂停计时", "resume": "恢复计时", "extend": "延期", "recuse": "回避",
    "acknowledge": "签收上报", "close": "办结", "reopen": "重新办理", "follow_up": "回访", "review": "不满意复核",
    "notice": "发出通知书", "notice_response": "单位回复", "attach": "上传附件",
}


def _working(day, exceptions):
    kind = exceptions.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def forwards(apps, schema_editor):
    Petition = apps.get_model("petitions", "Petition")
    PetitionEvent = apps.get_model("petitions", "PetitionEvent")
    Notice = apps.get_model("petitions", "Notice")
    TaskTarget = apps.get_model("petitions", "TaskTarget")
    CalendarDay = apps.get_model("servicecenter", "CalendarDay")
    exceptions = dict(CalendarDay.objects.values_list("date", "kind"))
    for p in Petition.objects.all().iterator(chunk_size=2000):
        if p.in_working_days:
            span = sum(_working(p.accepted_on + ONE_DAY * i, exceptions)
                       for i in range(1, (p.due_date - p.accepted_on).days + 1))
        else:
            span = (p.due_date - p.accepted_on).days
        p.deadline_days = max(span - p.extension_days, 0)
        p.rolls_over = False
        if p.status == "closed":
            p.stopped_on = timezone.localdate(p.closed_at) if p.closed_at else p.due_date
            p.late_from = p.due_date + ONE_DAY if p.was_overdue else None
        elif p.paused_since is not None:
            p.late_from = p.due_date + ONE_DAY if p.paused_since > p.due_date else None
        else:
            p.late_from = p.due_date + ONE_DAY
        p.save(update_fields=["deadline_days", "rolls_over", "stopped_on", "late_from"])
    for kind, label in OLD_KINDS.items():
        PetitionEvent.objects.filter(kind=kind).update(label=label)
    for n in Notice.objects.filter(deadline__isnull=False):
        late = n.status == "issued" or (n.responded_on is not None and n.responded_on > n.deadline)
        n.late_from = n.deadline + ONE_DAY if late else None
        n.save(update_fields=["late_from"])
    for t in TaskTarget.objects.select_related("task"):
        t.due_date = t.task.due_date
        t.reported_on = timezone.localdate(t.reported_at) if t.reported_at else None
        late = t.status == "pending" or (t.reported_on is not None and t.reported_on > t.due_date)
        t.late_from = t.due_date + ONE_DAY if late else None
        t.save(update_fields=["due_date", "reported_on", "late_from"])


class Migration(migrations.Migration):

    dependencies = [
        ('petitions', '0003_petition_recent'),
        ('servicecenter', '0007_person_created_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='notice',
            name='late_from',
            field=models.DateField(blank=True, db_index=True, null=True, verbose_name='逾期起始日'),
        ),
        migrations.AddField(
            model_name='petition',
            name='deadline_days',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='办结时限'),
        ),
        migrations.AddField(
            model_name='petition',
            name='late_from',
            field=models.DateField(blank=True, null=True, verbose_name='逾期起始日'),
        ),
        migrations.AddField(
            model_name='petition',
            name='pauses',
            field=models.JSONField(blank=True, default=list, verbose_name='暂停记录'),
        ),
        migrations.AddField(
            model_name='petition',
            name='rolls_over',
            field=models.BooleanField(default=True, verbose_name='期满日遇节假日顺延'),
        ),
        migrations.AddField(
            model_name='petition',
            name='stopped_on',
            field=models.DateField(blank=True, null=True, verbose_name='计时结束日'),
        ),
        migrations.AddField(
            model_name='petitionevent',
            name='data',
            field=models.JSONField(blank=True, default=dict, verbose_name='数据'),
        ),
        migrations.AddField(
            model_name='petitionevent',
            name='from_state',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='原状态'),
        ),
        migrations.AddField(
            model_name='petitionevent',
            name='label',
            field=models.CharField(blank=True, max_length=50, verbose_name='事项'),
        ),
        migrations.AddField(
            model_name='petitionevent',
            name='to_state',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='新状态'),
        ),
        migrations.AddField(
            model_name='tasktarget',
            name='due_date',
            field=models.DateField(blank=True, null=True, verbose_name='报告期限'),
        ),
        migrations.AddField(
            model_name='tasktarget',
            name='late_from',
            field=models.DateField(blank=True, db_index=True, null=True, verbose_name='逾期起始日'),
        ),
        migrations.AddField(
            model_name='tasktarget',
            name='reported_on',
            field=models.DateField(blank=True, null=True, verbose_name='报告日期'),
        ),
        migrations.AlterField(
            model_name='petitionevent',
            name='kind',
            field=models.CharField(max_length=30, verbose_name='事项代码'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='petition',
            name='was_overdue',
        ),
        migrations.AddIndex(
            model_name='petition',
            index=models.Index(condition=models.Q(('stopped_on__isnull', True)), fields=['due_date', 'id'],
                               name='petition_open_due'),
        ),
        migrations.AddIndex(
            model_name='petition',
            index=models.Index(condition=models.Q(('stopped_on__isnull', True)), fields=['org_unit', 'due_date', 'id'],
                               name='petition_unit_open_due'),
        ),
        migrations.AddIndex(
            model_name='petition',
            index=models.Index(condition=models.Q(('late_from__isnull', False), ('stopped_on__isnull', False)),
                               fields=['-received_at', '-id'], name='petition_closed_late'),
        ),
    ]
