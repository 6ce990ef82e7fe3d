"""Forms for intake and for each handling step. They check what the input alone can check; the
rules that depend on the case's state are the services' and are shown at the field they name."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils import timezone

from servicecenter.access import assignable_units, units_below, visible
from servicecenter.forms import EmployerForm, PersonForm, UnitChoiceField, plain_messages
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.validators import normalise_resident_id, normalise_uscc, validate_phone

from . import services
from .models import Category, FollowUp, HotlineOrder, Notice, Petition, Submission, TaskTarget

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = forms.Textarea(attrs={"rows": 3})
# The complainant: a registered person (a pk), attach / register one, or no registered person.
PARTIAL, ANONYMOUS = "partial", "anonymous"


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj}（{obj.org_unit}）"


class IntakeForm(forms.Form):
    """受理登记. The complainant and the employer are each picked from a search (``*_query``), or
    attached by full ID/credit code when registered elsewhere, or registered inline through the
    shared person/employer forms (``person_form`` / ``employer_form``, prefixes ``p``/``e``)."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    org_unit = UnitChoiceField(label="受理单位", queryset=OrgUnit.objects.none())
    person_query = forms.CharField(label="查找来访人", required=False, max_length=50,
                                   help_text="身份证号、姓名、拼音首字母（如 zs）或电话")
    person_choice = forms.CharField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(label="来访形式", choices=Petition.Channel.choices, initial=Petition.Channel.VISIT,
                                widget=forms.RadioSelect)
    received_at = forms.DateTimeField(label="受理时间", widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    headcount = forms.IntegerField(label="人数", min_value=1, max_value=100000, initial=1,
                                   help_text="达到群体性信访人数时自动标记为群体性信访")
    category = forms.ModelChoiceField(label="问题类别", queryset=Category.objects.none(), empty_label="（请选择）")
    facts = forms.CharField(label="反映内容", widget=TEXT, max_length=5000)
    request = forms.CharField(label="诉求", widget=TEXT, max_length=5000)
    employer_query = forms.CharField(label="查找涉及单位", required=False, max_length=50,
                                     help_text="单位名称或统一社会信用代码")
    employer_choice = forms.CharField(required=False, widget=forms.HiddenInput)
    is_confidential = forms.BooleanField(label="保密（投诉、控告、举报）", required=False,
                                         help_text="来访人身份仅承办人和本单位分管领导可见")
    is_urgent = forms.BooleanField(label="重大/紧急", required=False, help_text="立即报告本单位分管领导和上级中心")
    visitor_post = forms.CharField(label="工作岗位", required=False, max_length=50)
    reception_opinion = forms.CharField(label="接待处理意见", widget=TEXT, required=False, max_length=2000)
    backdate_reason = forms.CharField(label="补登理由", required=False, max_length=200,
                                      help_text="受理时间早于规定天数时，由审批人填写")

    # 仅留姓名电话 (person_choice = partial)
    caller_name = forms.CharField(label="来访人姓名", required=False, max_length=50)
    caller_phone = forms.CharField(label="联系电话", required=False, max_length=20)
    caller_employer = forms.CharField(label="工作单位", required=False, max_length=200,
                                      help_text="来访人自己的单位（可不填）")

    # 12351热线工单 (channel = 12351)
    hotline_number = forms.CharField(label="工单编号", required=False, max_length=40)
    caller_number = forms.CharField(label="来电号码", required=False, max_length=20)
    operator = forms.CharField(label="接线员", required=False, max_length=50)
    called_at = forms.DateTimeField(label="来电时间", required=False, widget=DATETIME)
    hotline_category = forms.ChoiceField(label="12351类别", required=False,
                                         choices=[("", "（请选择）"), *HotlineOrder.Category.choices])
    hotline_due = forms.DateField(label="平台办理时限", required=False, widget=DATE)

    # 上级交办 (channel = assigned)
    referred_by = forms.CharField(label="交办单位", required=False, max_length=100, help_text="如：省总工会权益保障部")
    referral_ref = forms.CharField(label="交办文号", required=False, max_length=60)
    referred_on = forms.DateField(label="上级交办日期", required=False, widget=DATE)
    referral_due = forms.DateField(label="上级交办期限", required=False, widget=DATE,
                                   help_text="不填则按参数自交办日起计算")
    task_target = forms.IntegerField(required=False, widget=forms.HiddenInput)

    CHANNEL_REQUIRED: dict[str, tuple[str, ...]] = {
        Petition.Channel.HOTLINE_12351.value: ("hotline_number", "caller_number", "operator", "called_at",
                                         "hotline_category", "hotline_due"),
        Petition.Channel.ASSIGNED.value: ("referred_by", "referred_on"),
    }

    def __init__(self, *args: Any, user: User, person_form: PersonForm | None = None,
                 employer_form: EmployerForm | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.person_form = person_form
        self.employer_form = employer_form
        cast(UnitChoiceField, self.fields["org_unit"]).queryset = assignable_units(user)
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = Category.objects.filter(is_active=True)
        self.person_target: Any = None
        self.employer_target: Any = None
        self.target: TaskTarget | None = None
        plain_messages(self)

    def clean_received_at(self) -> Any:
        value = self.cleaned_data["received_at"]
        if value and value > timezone.now() + services.FUTURE_TOLERANCE:
            raise forms.ValidationError("受理时间不能晚于当前时间。")
        return value

    def clean_caller_phone(self) -> str:
        phone = self.cleaned_data["caller_phone"]
        return validate_phone(phone) if phone else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data; only an override could not
        self._clean_person(data)
        self._clean_employer(data)
        for name in self.CHANNEL_REQUIRED.get(data.get("channel") or "", ()):
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, self.fields[name].error_messages["required"])
        target = data.get("task_target")
        if target:
            self.target = visible(TaskTarget.objects.select_related("task"), self.user).filter(pk=target).first()
            if self.target is None:
                self.add_error(None, "未找到该交办事项。")
        return data

    def _clean_person(self, data: dict[str, Any]) -> None:
        choice = (data.get("person_choice") or "").strip()
        if choice == "new":
            if self.person_form is not None and self.person_form.is_valid():
                cd = self.person_form.cleaned_data
                self.person_target = services.NewPerson(cd["org_unit"], cd["id_number"], self.person_form.service_data())
            else:
                self.add_error(None, "新登记来访人的信息有误，请按提示修改。")
        elif choice == "attach":
            number = normalise_resident_id(data.get("person_query") or "")
            self.person_target = services.AttachPerson(number)
        elif choice.isdigit():
            person = visible(Person.objects.all(), self.user).filter(pk=int(choice)).first()
            if person is None:
                self.add_error("person_query", "请查找并选择来访人。")
            self.person_target = person
        elif choice == PARTIAL:
            for name in ("caller_name", "caller_phone"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, self.fields[name].error_messages["required"])
            self.person_target = services.Caller(data.get("caller_name") or "", data.get("caller_phone") or "",
                                                 data.get("caller_employer") or "")
        elif choice == ANONYMOUS:
            self.person_target = None
        else:
            self.add_error("person_query", "请查找并选择来访人，或选择“仅留姓名电话”“匿名”，或登记新来访人。")

    def _clean_employer(self, data: dict[str, Any]) -> None:
        choice = (data.get("employer_choice") or "").strip()
        if choice == "new":
            if self.employer_form is not None and self.employer_form.is_valid():
                cd = self.employer_form.cleaned_data
                self.employer_target = services.NewEmployer(cd["org_unit"], cd["credit_code"],
                                                            self.employer_form.service_data())
            else:
                self.add_error(None, "新登记用人单位的信息有误，请按提示修改。")
        elif choice == "attach":
            self.employer_target = services.AttachEmployer(normalise_uscc(data.get("employer_query") or ""))
        elif choice.isdigit():
            employer = visible(Employer.objects.all(), self.user).filter(pk=int(choice)).first()
            if employer is None:
                self.add_error("employer_query", "请重新查找并选择涉及单位。")
            self.employer_target = employer

    def service_kwargs(self) -> dict[str, Any]:
        cd = self.cleaned_data
        channel = cd["channel"]
        hotline = referral = None
        if channel == Petition.Channel.HOTLINE_12351:
            hotline = services.HotlineDetails(cd["hotline_number"], cd["caller_number"], cd["operator"],
                                              cd["called_at"], cd["hotline_category"], cd["hotline_due"])
        if channel == Petition.Channel.ASSIGNED:
            referral = services.Referral(cd["referred_by"], cd["referral_ref"], cd["referred_on"], cd["referral_due"],
                                         self.target)
        return {
            "token": cd["token"], "org_unit": cd["org_unit"], "person": self.person_target,
            "channel": channel, "received_at": cd["received_at"], "headcount": cd["headcount"],
            "category": cd["category"], "facts": cd["facts"], "request": cd["request"],
            "employer": self.employer_target, "is_confidential": cd["is_confidential"], "is_urgent": cd["is_urgent"],
            "visitor_post": cd["visitor_post"], "reception_opinion": cd["reception_opinion"],
            "hotline": hotline, "referral": referral, "backdate_reason": cd["backdate_reason"],
        }

    @staticmethod
    def initial_for(user: User, target: TaskTarget | None = None) -> dict[str, Any]:
        now = timezone.localtime().replace(second=0, microsecond=0)
        initial: dict[str, Any] = {"token": uuid.uuid4(), "org_unit": user.org_unit_id, "received_at": now,
                                   "channel": Petition.Channel.VISIT, "headcount": 1}
        if target is not None:
            # A case for a task from above: the task is its reference and its deadline.
            task = target.task
            initial.update(channel=Petition.Channel.ASSIGNED, referred_by=task.org_unit.name,
                           referral_ref=f"交办事项：{task.title}", referred_on=timezone.localdate(task.created_at),
                           referral_due=task.due_date, task_target=target.pk, facts=task.content,
                           org_unit=target.org_unit_id)
        return initial


# --- handling steps --------------------------------------------------------------------------------


class _PetitionForm(forms.Form):
    def __init__(self, *args: Any, petition: Petition, user: User, **kwargs: Any) -> None:
        # The case page shows every step form at once: give each its own ids (id_pause_reason, …)
        # so that <label for> and screen readers reach the right field.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.removesuffix('Form').lower()}_%s")
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.user = user
        plain_messages(self)


class AnswerForm(_PetitionForm):
    answer = forms.CharField(label="答复内容", widget=TEXT, max_length=5000)
    basis = forms.CharField(label="答复依据", widget=TEXT, max_length=5000,
                            help_text="法律、法规或政策条文")
    response = forms.CharField(label="职工意见", max_length=500, help_text="如：表示理解、无异议")


class CloseForm(_PetitionForm):
    report_facts = forms.CharField(label="基本事实", widget=TEXT, max_length=5000)
    report_basis = forms.CharField(label="处理依据", widget=TEXT, max_length=5000)
    report_result = forms.CharField(label="处理结果", widget=TEXT, max_length=5000)
    report_response = forms.CharField(label="职工意见", max_length=500)
    recovered_amount = forms.DecimalField(label="挽回经济损失（元）", required=False, min_value=0,
                                          max_digits=14, decimal_places=2,
                                          help_text="为职工追回的工资、补偿等，没有则不填")
    public_answer = forms.CharField(label="网上答复", widget=TEXT, max_length=5000,
                                    help_text="职工网上查询进度时看到的答复（不含内部意见）")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.petition
        if not p.came_online:
            del self.fields["public_answer"]
        if not self.is_bound:
            self.initial.setdefault("report_facts", p.report_facts or p.facts)
            result = p.report_result or (f"{p.forwarded_to}答复：{p.reply}" if p.reply else "")
            self.initial.setdefault("report_result", result)
            if "public_answer" in self.fields:
                self.initial.setdefault("public_answer", p.public_answer)

    def report(self) -> services.CompletionReport:
        cd = self.cleaned_data
        return services.CompletionReport(cd["report_facts"], cd["report_basis"], cd["report_result"],
                                         cd["report_response"], cd.get("recovered_amount"))

    def service_kwargs(self) -> dict[str, Any]:
        return {"report": self.report(), "public_answer": self.cleaned_data.get("public_answer")}


class AssignForm(_PetitionForm):
    handler = HandlerChoiceField(label="承办人", queryset=User.objects.none(), empty_label="（请选择）")
    due_date = forms.DateField(label="交办期限", widget=DATE)
    note = forms.CharField(label="交办意见", required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(HandlerChoiceField, self.fields["handler"]).queryset = services.eligible_handlers(self.petition)
        if not self.is_bound:
            self.initial.setdefault("due_date", self.petition.due_date)


class IdentifyForm(_PetitionForm):
    id_number = forms.CharField(label="身份证号码", max_length=25, help_text="已登记职工的完整身份证号码")


class ReportBackForm(_PetitionForm):
    report = forms.CharField(label="办理报告", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                             help_text="向交办单位报告办理经过和结果")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.petition
        if not self.is_bound and not p.referral_report:
            self.initial.setdefault("report", f"{p.report_facts}\n处理结果：{p.report_result}".strip())


class PublishAnswerForm(_PetitionForm):
    answer = forms.CharField(label="网上答复", widget=TEXT, max_length=5000,
                             help_text="职工网上查询进度时看到的答复（不含内部意见）")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("answer", self.petition.public_answer)


class SendUpForm(_PetitionForm):
    reason = forms.CharField(label="上报理由", widget=TEXT, max_length=1000)


class ForwardForm(_PetitionForm):
    department = forms.CharField(label="转办部门", max_length=100, help_text="如：区人力社保局劳动保障监察大队")
    forwarded_on = forms.DateField(label="转办日期", widget=DATE)
    contact = forms.CharField(label="联系人及电话", max_length=100)
    note = forms.CharField(label="转办意见", required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("forwarded_on", timezone.localdate())


class ReplyForm(_PetitionForm):
    reply = forms.CharField(label="答复内容", widget=TEXT, max_length=5000)
    replied_on = forms.DateField(label="答复日期", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("replied_on", timezone.localdate())


class ReasonForm(_PetitionForm):
    reason = forms.CharField(label="理由", widget=TEXT, max_length=200)


class PauseForm(ReasonForm):
    reason = forms.CharField(label="暂停理由", widget=TEXT, max_length=200, help_text="如：等待工伤认定结论")


class ResumeForm(_PetitionForm):
    note = forms.CharField(label="说明", required=False, max_length=200)


class ExtendForm(_PetitionForm):
    days = forms.IntegerField(label="延期天数", min_value=1, max_value=3650)
    reason = forms.CharField(label="延期理由", widget=TEXT, max_length=200)


class RecuseForm(ReasonForm):
    reason = forms.CharField(label="回避理由", widget=TEXT, max_length=200,
                             help_text="声明后本事项须重新交办，您将无法再查看本事项")


class ReopenForm(ReasonForm):
    reason = forms.CharField(label="重新办理理由", widget=TEXT, max_length=200)


class AcknowledgeForm(_PetitionForm):
    pass


class DecisionForm(_PetitionForm):
    """A supervisor's decision on a request (延期申请, 重新办理申请)."""

    decision = forms.ChoiceField(label="审批结果", widget=forms.RadioSelect,
                                 choices=[("approve", "同意"), ("reject", "不同意")])
    note = forms.CharField(label="审批意见", widget=TEXT, required=False, max_length=500,
                           help_text="不同意时须写明理由")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data; only an override could not
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "不同意时须写明理由。")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {"approve": self.cleaned_data["decision"] == "approve", "note": self.cleaned_data["note"]}


class FollowUpForm(_PetitionForm):
    method = forms.ChoiceField(label="回访方式", choices=FollowUp.Method.choices, widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(label="满意度", choices=FollowUp.Satisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label="回访意见", widget=TEXT, required=False, max_length=2000)


class ReviewForm(_PetitionForm):
    decision = forms.ChoiceField(label="复核结果", widget=forms.RadioSelect,
                                 choices=[("keep", "维持办结"), ("reopen", "重新办理")])
    note = forms.CharField(label="复核意见", widget=TEXT, max_length=200)


class NoticeForm(_PetitionForm):
    kind = forms.ChoiceField(label="文书", choices=Notice.Kind.choices, widget=forms.RadioSelect,
                             help_text="无明文规定的用建议书；有规定未执行的用整改书（须定期限）")
    content = forms.CharField(label="问题与建议/整改要求", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    basis = forms.CharField(label="依据", widget=TEXT, required=False, max_length=5000)
    deadline = forms.DateField(label="回复/整改期限", widget=DATE, required=False)


class NoticeResponseForm(forms.Form):
    response = forms.CharField(label="单位回复", widget=TEXT, max_length=5000)
    responded_on = forms.DateField(label="回复日期", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("responded_on", timezone.localdate())
        plain_messages(self)


# --- 12351 work orders ----------------------------------------------------------------------------------


class _OrderForm(forms.Form):
    def __init__(self, *args: Any, order: HotlineOrder, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order, self.user = order, user
        plain_messages(self)


class DispatchForm(_OrderForm):
    unit = UnitChoiceField(label="转派单位", queryset=OrgUnit.objects.none(), empty_label="（请选择）")
    note = forms.CharField(label="转派意见", required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        below = units_below(self.user).exclude(pk=self.order.petition.org_unit_id)
        cast(UnitChoiceField, self.fields["unit"]).queryset = below


class FeedbackForm(_OrderForm):
    feedback = forms.CharField(label="反馈内容", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                               help_text="办理经过和结果，向12351平台反馈")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.order.petition
        if not self.is_bound and p.report_result:
            self.initial.setdefault("feedback", p.report_result)


class RevisitForm(_OrderForm):
    satisfaction = forms.ChoiceField(label="平台回访满意度", choices=HotlineOrder.Satisfaction.choices,
                                     widget=forms.RadioSelect)
    note = forms.CharField(label="平台回访意见", required=False, max_length=500)


class ReturnForm(_OrderForm):
    reason = forms.CharField(label="退回理由", widget=TEXT, max_length=500)


# --- online submissions (the clerk's side) ----------------------------------------------------------------


class EmployerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Employer) -> str:
        return f"{obj.name}（{obj.credit_code}）"


class _SubmissionForm(forms.Form):
    def __init__(self, *args: Any, submission: Submission, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submission, self.user = submission, user
        plain_messages(self)


class AcceptForm(_SubmissionForm):
    category = forms.ModelChoiceField(label="问题类别", queryset=Category.objects.none(), empty_label="（请选择）")
    register_person = forms.BooleanField(label="按身份证号码登记/关联职工", required=False,
                                         help_text="不勾选则按“仅留姓名电话”受理")
    employer = EmployerChoiceField(label="涉及单位", queryset=Employer.objects.none(), required=False,
                                   empty_label="（不关联登记单位）", help_text="与职工所填工作单位名称相近的已登记单位")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sub = self.submission
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = Category.objects.filter(is_active=True)
        if not sub.id_number_masked:
            del self.fields["register_person"]
        words = sub.employer_name.strip()[:20]
        matches = (visible(Employer.objects.order_by("name"), self.user).filter(name__contains=words)[:20]
                   if words else Employer.objects.none())
        cast(EmployerChoiceField, self.fields["employer"]).queryset = matches
        if not self.is_bound:
            self.initial.setdefault("category", sub.category_id)
            self.initial.setdefault("register_person", bool(sub.id_number_masked))

    def service_kwargs(self) -> dict[str, Any]:
        cd = self.cleaned_data
        return {"category": cd["category"], "register_person": bool(cd.get("register_person")),
                "employer": cd.get("employer")}


class DeclineForm(_SubmissionForm):
    reason = forms.CharField(label="不予受理理由", widget=TEXT, max_length=500,
                             help_text="职工查询进度时可以看到")


# --- tasks -------------------------------------------------------------------------------------------


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return obj.name


class TaskForm(forms.Form):
    title = forms.CharField(label="事项", max_length=100)
    content = forms.CharField(label="要求", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    due_date = forms.DateField(label="报告期限", widget=DATE)
    units = UnitMultipleChoiceField(label="承办单位", queryset=OrgUnit.objects.none(),
                                    widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(UnitMultipleChoiceField, self.fields["units"]).queryset = units_below(user)
        plain_messages(self)


class TaskReportForm(forms.Form):
    result = forms.CharField(label="办理结果", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)


class TaskLinkForm(forms.Form):
    number = forms.CharField(label="信访事项编号", max_length=40, help_text="本单位承办的事项，如 XF-330602001-2026-00012")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)


# --- the public pages (online self-service) ---------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (each is checked by the service like any attachment)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class PublicUnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return "　" * max(obj.depth - 1, 0) + obj.name


class SubmitForm(forms.Form):
    """网上提交: what a worker tells us, and a sum to show they are not a script."""

    token = forms.UUIDField(widget=forms.HiddenInput)
    org_unit = PublicUnitField(label="受理单位", queryset=OrgUnit.objects.none(), empty_label="（请选择离您最近的服务站）")
    name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号码", max_length=20, help_text="用于工作人员联系您")
    id_number = forms.CharField(label="身份证号码", required=False, max_length=25,
                                help_text="可不填；申请法律援助、困难帮扶时需要")
    employer_name = forms.CharField(label="工作单位", required=False, max_length=200)
    category = forms.ModelChoiceField(label="问题类别", queryset=Category.objects.none(), empty_label="（请选择）")
    facts = forms.CharField(label="反映内容", widget=forms.Textarea(attrs={"rows": 6}),
                            max_length=services.SUBMISSION_MAX_FACTS)
    request = forms.CharField(label="诉求", widget=TEXT, max_length=services.SUBMISSION_MAX_REQUEST)
    attachments = MultipleFileField(label="材料（可不传）", required=False,
                              help_text="PDF、JPEG 或 PNG，每个文件不超过 10 MB")
    captcha = forms.CharField(label="验证码", max_length=3, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off"}))
    captcha_token = forms.CharField(widget=forms.HiddenInput)
    # A field people never see (hidden by the stylesheet): scripts that fill every field fill it.
    website = forms.CharField(required=False, label="网址", widget=forms.TextInput(
        attrs={"autocomplete": "off", "tabindex": "-1", "class": "hp"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PublicUnitField, self.fields["org_unit"]).queryset = services.receiving_units()
        cast(forms.ModelChoiceField, self.fields["category"]).queryset = Category.objects.filter(is_active=True)
        plain_messages(self)

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])


class LookupForm(forms.Form):
    number = forms.CharField(label="查询编号", max_length=30, widget=forms.TextInput(
        attrs={"autocomplete": "off", "placeholder": "如 WS-20260513-7KQ3PX"}))
    code = forms.CharField(label="查询码", max_length=20, widget=forms.PasswordInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)
