"""Forms for intake and for each handling step. They check what the input alone can check; the
rules that depend on the case's state are the services' and are shown at the field they name."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils import timezone

from servicecenter.access import assignable_units, units_below, visible
from servicecenter.forms import EmployerForm, PersonForm, UnitChoiceField
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.validators import normalise_resident_id, normalise_uscc

from . import services
from .models import Category, FollowUp, Notice, Petition

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})


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

    def clean_received_at(self) -> Any:
        value = self.cleaned_data["received_at"]
        if value and value > timezone.now() + services.FUTURE_TOLERANCE:
            raise forms.ValidationError("受理时间不能晚于当前时间。")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data; only an override could not
        self._clean_person(data)
        self._clean_employer(data)
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
        else:
            self.add_error("person_query", "请查找并选择来访人，或登记新来访人。")

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
        return {
            "token": cd["token"], "org_unit": cd["org_unit"], "person": self.person_target,
            "channel": cd["channel"], "received_at": cd["received_at"], "headcount": cd["headcount"],
            "category": cd["category"], "facts": cd["facts"], "request": cd["request"],
            "employer": self.employer_target, "is_confidential": cd["is_confidential"], "is_urgent": cd["is_urgent"],
        }

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return {"token": uuid.uuid4(), "org_unit": user.org_unit_id, "received_at": now,
                "channel": Petition.Channel.VISIT, "headcount": 1}


# --- handling steps --------------------------------------------------------------------------------


class _PetitionForm(forms.Form):
    def __init__(self, *args: Any, petition: Petition, user: User, **kwargs: Any) -> None:
        # The case page shows every step form at once: give each its own ids (id_pause_reason, …)
        # so that <label for> and screen readers reach the right field.
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.removesuffix('Form').lower()}_%s")
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.user = user


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.petition
        if not self.is_bound:
            self.initial.setdefault("report_facts", p.report_facts or p.facts)
            result = p.report_result or (f"{p.forwarded_to}答复：{p.reply}" if p.reply else "")
            self.initial.setdefault("report_result", result)

    def report(self) -> services.CompletionReport:
        cd = self.cleaned_data
        return services.CompletionReport(cd["report_facts"], cd["report_basis"], cd["report_result"],
                                         cd["report_response"])


class AssignForm(_PetitionForm):
    handler = HandlerChoiceField(label="承办人", queryset=User.objects.none(), empty_label="（请选择）")
    due_date = forms.DateField(label="交办期限", widget=DATE)
    note = forms.CharField(label="交办意见", required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(HandlerChoiceField, self.fields["handler"]).queryset = services.eligible_handlers(self.petition)
        if not self.is_bound:
            self.initial.setdefault("due_date", self.petition.due_date)


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


class TaskReportForm(forms.Form):
    result = forms.CharField(label="办理结果", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
