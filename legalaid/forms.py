"""Forms for 法律援助 and 劳动争议调解. They check what the input alone can check; the rules that need
the record or the database are the services', shown at the field they name."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone

from servicecenter.access import assignable_units
from servicecenter.forms import UnitChoiceField
from servicecenter.models import Employer, OrgUnit, Person, User

from . import selectors
from .models import (
    Advisor,
    AdvisorTie,
    Application,
    Consultation,
    Forum,
    Matter,
    Mediation,
    Progress,
    ReceptionDay,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


def _model_field(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


def _blank(choices: Any, label: str = "（请选择）") -> list[tuple[str, str]]:
    return [("", label), *[(v, lbl) for v, lbl in choices if v != ""]]


class AdvisorChoiceField(forms.ModelChoiceField):
    """Advisors with their open caseload (and a conflict mark), so the assigner sees both."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loads: dict[int, int] = {}
        self.conflicted: set[int] = set()

    def label_from_instance(self, obj: Advisor) -> str:
        firm = f"，{obj.firm}" if obj.firm else ""
        mark = "，⚠与对方单位有利害关系" if obj.pk in self.conflicted else ""
        return f"{obj.name}（{obj.get_kind_display()}{firm}，在办{self.loads.get(obj.pk, 0)}件{mark}）"


def advisor_field(user: User, kinds: tuple[str, ...], label: str, *, employer: Employer | None = None,
                  required: bool = True) -> AdvisorChoiceField:
    qs = selectors.assignable_advisors(user, kinds)
    field = AdvisorChoiceField(label=label, queryset=qs, required=required, empty_label="（请选择）")
    advisors = list(qs)
    field.loads = selectors.caseloads([a.pk for a in advisors])
    if employer is not None:
        from .models import AdvisorTie as Tie

        tied = set(Tie.objects.filter(employer=employer, advisor__in=advisors).values_list("advisor_id", flat=True))
        agents = set(Application.objects.filter(employer=employer, opposing_agent__in=advisors)
                     .values_list("opposing_agent_id", flat=True))
        agents |= set(Mediation.objects.filter(employer=employer, employer_agent__in=advisors)
                      .values_list("employer_agent_id", flat=True))
        field.conflicted = tied | agents
    return field


class EmployerTextField(forms.CharField):
    """An employer typed as its name or credit code; the service resolves it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("help_text", "单位名称或统一社会信用代码（他处登记的单位须输入信用代码）")
        super().__init__(**kwargs)


# --- applications ----------------------------------------------------------------------------------------


class ApplicationDetailsForm(forms.Form):
    """The 申请书's details: shared by the intake and the edit page."""

    qualifies = forms.ChoiceField(label="援助对象类别", required=False, choices=_blank(Application.Qualifies.choices,
                                                                                "（按档案自动识别）"),
                                  help_text="有在档困难职工档案或劳模标记的自动识别，其余由工作人员选择")
    qualifies_basis = forms.CharField(label="类别依据", required=False, max_length=200,
                                      help_text="如：工会出具的经济困难证明、工会干部任职证明")
    matter = forms.ChoiceField(label="案由", required=False, choices=_blank(Matter.choices))
    forum = forms.ChoiceField(label="申请援助形式", required=False, choices=_blank(Forum.choices))
    employer_text = EmployerTextField(label="对方当事人（用人单位）", required=False)
    opposing_agent = forms.ModelChoiceField(label="对方代理人", required=False, queryset=Advisor.objects.none(),
                                            empty_label="（无/不在名册中）",
                                            help_text="对方委托的律师在本系统名册中时选择（利害冲突审查依据）")
    amount_claimed = forms.DecimalField(label="请求金额（元）", required=False, **MONEY)
    dispute_arose_on = forms.DateField(label="争议发生日", required=False, widget=DATE,
                                       help_text="知道或应当知道权利被侵害之日")
    employment_ended_on = forms.DateField(label="劳动关系终止日", required=False, widget=DATE, help_text="仍在职的留空")
    award_served_on = forms.DateField(label="仲裁裁决书送达日", required=False, widget=DATE, help_text="已仲裁的填写")
    facts = forms.CharField(label="案情及理由", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            max_length=5000)
    request = forms.CharField(label="请求事项", required=False, widget=TEXT, max_length=5000)
    evidence = forms.CharField(label="证据材料", required=False, widget=TEXT, max_length=5000,
                               help_text="身份证明、劳动合同、工资条、经济困难证明等")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _model_field(self, "opposing_agent").queryset = selectors.advisors_for(user).filter(kind=Advisor.Kind.LAWYER)

    def details(self, employer: Employer | None) -> dict[str, Any]:
        cd = self.cleaned_data
        names = ("qualifies", "qualifies_basis", "matter", "forum", "opposing_agent", "amount_claimed", "facts",
                 "request", "evidence", "dispute_arose_on", "employment_ended_on", "award_served_on")
        return {**{n: cd.get(n) for n in names}, "employer": employer}


class ApplicationIntakeForm(ApplicationDetailsForm):
    token = forms.UUIDField(widget=forms.HiddenInput)
    org_unit = UnitChoiceField(label="受理单位", queryset=OrgUnit.objects.none())
    id_number = forms.CharField(label="申请人身份证号码", max_length=25,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "18位，末位可为X"}),
                                help_text="法律援助须核实身份；未登记的请先在“职工”中登记")
    complete = forms.BooleanField(label="材料齐全，立即开始审查", required=False,
                                  help_text="勾选后审查期限（7个工作日）从今天起算")

    field_order = ["token", "org_unit", "id_number"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "org_unit").queryset = assignable_units(self.user)

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        return {"token": uuid.uuid4(), "org_unit": user.org_unit_id}


class _ApplicationForm(forms.Form):
    def __init__(self, *args: Any, application: Application, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.application = application
        self.user = user


class EmptyForm(_ApplicationForm):
    pass


class MaterialForm(_ApplicationForm):
    material = forms.CharField(label="需补充的材料", widget=TEXT, max_length=2000,
                               help_text="审查期限暂停，材料补齐后恢复计时")


class SupplementForm(_ApplicationForm):
    note = forms.CharField(label="说明", required=False, max_length=200)


class AssessForm(_ApplicationForm):
    recommend = forms.ChoiceField(label="审查建议", widget=forms.RadioSelect,
                                  choices=[("grant", "建议给予援助"), ("refuse", "建议不予援助")])
    opinion = forms.CharField(label="审查意见", widget=TEXT, max_length=2000,
                              help_text="申请人身份、经济状况、案件事实的核实情况")


class GrantForm(_ApplicationForm):
    forum = forms.ChoiceField(label="援助形式", choices=_blank(Forum.choices))
    note = forms.CharField(label="审批意见", widget=TEXT, required=False, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("forum", self.application.forum)


class RefuseForm(_ApplicationForm):
    reason = forms.CharField(label="不予援助的理由", widget=TEXT, max_length=2000,
                             help_text="将打印在不予法律援助通知书上")


class WithdrawForm(_ApplicationForm):
    reason = forms.CharField(label="撤回原因", widget=TEXT, max_length=500)


class AssignForm(_ApplicationForm):
    note = forms.CharField(label="指派说明", required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["advisor"] = advisor_field(self.user, Advisor.ASSIGNABLE, "承办律师/志愿者",
                                               employer=self.application.employer)
        self.order_fields(["advisor", "note"])


class ReassignForm(AssignForm):
    reason = forms.CharField(label="更换理由", widget=TEXT, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["note"]


class ProgressForm(_ApplicationForm):
    kind = forms.ChoiceField(label="事项", choices=_blank(Progress.Kind.choices))
    on = forms.DateField(label="日期", widget=DATE, help_text="开庭可填将来的日期；仲裁裁决填裁决书送达日期")
    document = forms.CharField(label="文书", required=False, max_length=100, help_text="文书名称及文号")
    note = forms.CharField(label="说明", required=False, max_length=500)


class CloseForm(_ApplicationForm):
    outcome = forms.ChoiceField(label="结果", choices=_blank(Application.Outcome.choices))
    amount_awarded = forms.DecimalField(label="裁判/协议金额（元）", required=False, **MONEY,
                                        help_text="裁决、判决、调解书或和解协议确定的金额")
    amount_received = forms.DecimalField(label="实际到手金额（元）", **MONEY, help_text="职工实际拿到的钱")
    received_note = forms.CharField(label="到手金额说明", required=False, max_length=200,
                                    help_text="到手金额高于裁判/协议金额时必填")
    closed_on = forms.DateField(label="结案日期", widget=DATE)
    summary = forms.CharField(label="结案情况", widget=TEXT, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("closed_on", timezone.localdate())


class FeedbackForm(_ApplicationForm):
    satisfaction = forms.ChoiceField(label="职工评价", widget=forms.RadioSelect, choices=Application.Satisfaction.choices)
    comment = forms.CharField(label="职工意见", widget=TEXT, required=False, max_length=2000)


# --- mediation -------------------------------------------------------------------------------------------


class MediationIntakeForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    org_unit = UnitChoiceField(label="受理单位", queryset=OrgUnit.objects.none())
    workers_ids = forms.CharField(label="申请人身份证号码", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                                  help_text="一人一行；须已在“职工”中登记")
    employer_text = EmployerTextField(label="被申请人（用人单位）")
    employer_agent = forms.ModelChoiceField(label="单位委托代理人", required=False, queryset=Advisor.objects.none(),
                                            empty_label="（无/不在名册中）")
    matter = forms.ChoiceField(label="争议事项", choices=_blank(Matter.choices))
    amount_claimed = forms.DecimalField(label="请求金额（元）", required=False, **MONEY)
    applied_on = forms.DateField(label="申请日期", widget=DATE)
    request = forms.CharField(label="请求事项", widget=TEXT, max_length=5000)
    facts = forms.CharField(label="事实与理由", widget=TEXT, required=False, max_length=5000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _model_field(self, "org_unit").queryset = assignable_units(user)
        self.fields["mediator"] = advisor_field(user, Advisor.MEDIATES, "调解员")
        _model_field(self, "employer_agent").queryset = selectors.advisors_for(user).filter(kind=Advisor.Kind.LAWYER)
        self.order_fields(["token", "org_unit", "workers_ids", "employer_text", "employer_agent", "mediator"])

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        return {"token": uuid.uuid4(), "org_unit": user.org_unit_id, "applied_on": timezone.localdate()}


class _MediationForm(forms.Form):
    def __init__(self, *args: Any, mediation: Mediation, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mediation = mediation
        self.user = user


class SessionForm(_MediationForm):
    held_on = forms.DateField(label="调解日期", widget=DATE)
    place = forms.CharField(label="地点", required=False, max_length=100)
    note = forms.CharField(label="调解情况", widget=TEXT, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", timezone.localdate())


class ChangeMediatorForm(_MediationForm):
    reason = forms.CharField(label="更换理由", widget=TEXT, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mediator"] = advisor_field(self.user, Advisor.MEDIATES, "调解员", employer=self.mediation.employer)
        self.order_fields(["mediator", "reason"])


class NotifyForm(_MediationForm):
    note = forms.CharField(label="告知方式及说明", required=False, max_length=200, help_text="如：电话告知、书面告知")


class AgreeForm(_MediationForm):
    terms = forms.CharField(label="协议内容", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                            required=False, help_text="逐条写明，如：一、单位于某日前支付工资若干元")
    amount_agreed = forms.DecimalField(label="协议金额（元）", **MONEY)
    pay_by = forms.DateField(label="履行期限", widget=DATE)
    agreed_on = forms.DateField(label="协议日期", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("agreed_on", timezone.localdate())


class FailForm(_MediationForm):
    reason = forms.CharField(label="调解不成的原因", widget=TEXT, max_length=2000)
    referred_to = forms.ChoiceField(label="去向", choices=_blank(Mediation.Referral.choices))


class ExecutionForm(_MediationForm):
    execution = forms.ChoiceField(label="履行情况", widget=forms.RadioSelect, choices=[
        (Mediation.Execution.EXECUTED, "已全部履行"), (Mediation.Execution.PARTLY, "部分履行"),
        (Mediation.Execution.NOT, "未履行")])
    amount_paid = forms.DecimalField(label="累计实际到手金额（元）", **MONEY)
    note = forms.CharField(label="说明", required=False, max_length=200, help_text="到手金额高于协议金额时必填")


class ReferForm(_MediationForm):
    worker = forms.ModelChoiceField(label="申请人", queryset=Person.objects.none(), empty_label="（请选择）")
    note = forms.CharField(label="转办说明", required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .referrals import workers_without_application

        _model_field(self, "worker").queryset = Person.objects.filter(
            pk__in=[p.pk for p in workers_without_application(self.mediation)])


# --- consultations, advisors --------------------------------------------------------------------------


class ConsultationForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
    org_unit = UnitChoiceField(label="受理单位", queryset=OrgUnit.objects.none())
    at = forms.DateTimeField(label="咨询时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                          format="%Y-%m-%dT%H:%M"))
    channel = forms.ChoiceField(label="形式", choices=Consultation.Channel.choices, widget=forms.RadioSelect,
                                initial=Consultation.Channel.VISIT)
    id_number = forms.CharField(label="咨询人身份证号码", required=False, max_length=25,
                                help_text="已登记的职工可填写；匿名咨询留空")
    caller = forms.CharField(label="咨询人称呼", required=False, max_length=50, help_text="如：王先生；可留空")
    matter = forms.ChoiceField(label="类别", choices=_blank(Matter.choices))
    question = forms.CharField(label="咨询问题", widget=TEXT, max_length=5000)
    answer = forms.CharField(label="解答意见", widget=TEXT, max_length=5000)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _model_field(self, "org_unit").queryset = assignable_units(user)
        self.fields["advisor"] = advisor_field(user, (*Advisor.ASSIGNABLE, Advisor.Kind.PSYCHOLOGIST),
                                               "值班律师/志愿者", required=False)
        _model_field(self, "advisor").empty_label = "（工作人员自行解答）"

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        now = timezone.localtime().replace(second=0, microsecond=0)
        return {"token": uuid.uuid4(), "org_unit": user.org_unit_id, "at": now, "channel": Consultation.Channel.VISIT}


class AdvisorForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=_blank(Advisor.Kind.choices))
    name = forms.CharField(label="姓名", max_length=50)
    firm = forms.CharField(label="执业机构/工作单位", required=False, max_length=100)
    licence_number = forms.CharField(label="执业证号", required=False, max_length=30, help_text="律师必填")
    phone = forms.CharField(label="联系电话", required=False, max_length=20)
    specialities = forms.CharField(label="专长", required=False, max_length=200)
    pledge_signed_on = forms.DateField(label="志愿者承诺书签订日期", required=False, widget=DATE,
                                       help_text="法律志愿者必填")
    is_active = forms.BooleanField(label="在册", required=False, initial=True)
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args: Any, user: User, new: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if new:
            self.fields["org_unit"] = UnitChoiceField(label="登记单位", queryset=assignable_units(user))
            self.initial.setdefault("org_unit", user.org_unit_id)

    @staticmethod
    def initial_of(advisor: Advisor) -> dict[str, Any]:
        return {n: getattr(advisor, n) for n in ("kind", "name", "firm", "licence_number", "phone", "specialities",
                                                  "pledge_signed_on", "is_active", "note")}


class TieForm(forms.Form):
    employer_text = EmployerTextField(label="单位")
    relation = forms.ChoiceField(label="关系", choices=_blank(AdvisorTie.Relation.choices))
    note = forms.CharField(label="说明", required=False, max_length=200)


class ReceptionForm(forms.Form):
    advisor = forms.ModelChoiceField(label="律师/咨询师", queryset=Advisor.objects.none(), empty_label="（请选择）")
    org_unit = UnitChoiceField(label="接待地点", queryset=OrgUnit.objects.none())
    on = forms.DateField(label="日期", widget=DATE)
    session = forms.ChoiceField(label="时段", choices=ReceptionDay.Session.choices)
    note = forms.CharField(label="说明", required=False, max_length=100)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "advisor").queryset = selectors.advisors_for(user).filter(
            is_active=True, kind__in=[Advisor.Kind.LAWYER, Advisor.Kind.VOLUNTEER, Advisor.Kind.PSYCHOLOGIST])
        _model_field(self, "org_unit").queryset = assignable_units(user)
        self.initial.setdefault("org_unit", user.org_unit_id)

