"""Forms: the household file (with its members and incomes as rows), and one per step. They check
what the input alone can check; the rules that depend on the file (duplicates, states, the
notice period) are the services' and are shown at the field they name."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone

from servicecenter.access import assignable_units
from servicecenter.forms import UnitChoiceField
from servicecenter.models import OrgUnit, User
from servicecenter.validators import validate_phone, validate_resident_id

from . import codes, services
from .models import HardshipFile

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
MEMBER_ROWS = 6  # rows offered on a new application; blank rows are ignored
INCOME_ROWS = 4
YES_NO = [("", "（请选择）"), ("yes", "成立"), ("no", "不成立")]


class FileForm(forms.ModelForm):
    """The file's own fields (FORMS §1a: the applicant, housing, assets, spending, support, the
    grounds and exclusions found on the home visit, the cause of hardship and the needs)."""

    token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    org_unit = UnitChoiceField(label="申报单位", queryset=OrgUnit.objects.none())
    applied_on = forms.DateField(label="申请日期", widget=DATE)
    basic_support = forms.MultipleChoiceField(label="已享受的基本保障", choices=codes.BasicSupport.choices,
                                              required=False, widget=forms.CheckboxSelectMultiple,
                                              help_text="特困职工的前提（最低工资、下岗基本生活费、失业保险金、养老金或低保补差）")
    secondary_causes = forms.MultipleChoiceField(label="次要致困原因（最多三项）", choices=codes.Cause.choices,
                                                 required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = HardshipFile
        fields = ["org_unit", "applied_on", *services.FILE_FIELDS]
        widgets = {
            "home_acquired_on": DATE, "needs": TEXT, "help_received": TEXT,
            "main_cause": forms.Select, "housing_area": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        help_texts = {
            "housing_area": "现住房屋的建筑面积（自有或租住）",
            "home_acquired_on": "自有住房的购买或建成日期；租房或无房不填",
            "medical_cost": "当年家庭成员自付的医疗费（含工伤），元/年",
            "education_cost": "子女接受义务教育以外教育的支出，元/年",
            "rent_cost": "元/年",
            "dibao_topup": "享受低保的家庭：人均每月低保补差金额，元",
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("medical_cost", "education_cost", "rent_cost", "dibao_topup", "housing_area"):
            self.fields[name].widget.attrs.setdefault("min", "0")
            self.fields[name].validators.append(MinValueValidator(Decimal("0"), message="不能为负数。"))
        if self.instance.pk:
            del self.fields["org_unit"]
            del self.fields["applied_on"]
            del self.fields["token"]
        else:
            units = self.fields["org_unit"]
            assert isinstance(units, forms.ModelChoiceField)
            units.queryset = assignable_units(user)
            self.fields["org_unit"].initial = user.org_unit_id
            self.fields["applied_on"].initial = timezone.localdate()
            self.fields["token"].initial = uuid.uuid4()

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone") or ""
        return validate_phone(phone) if phone else ""

    def clean_secondary_causes(self) -> list[str]:
        value = self.cleaned_data.get("secondary_causes") or []
        if len(value) > 3:
            raise forms.ValidationError("次要致困原因最多选三项。")
        return value

    def _post_clean(self) -> None:
        # The service builds and validates the record; the form only checks input.
        pass

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in services.FILE_FIELDS}


class MemberForm(forms.Form):
    """One household member (a row of the table); a row with no name is left out."""

    existing = forms.IntegerField(widget=forms.HiddenInput, required=False)
    relation = forms.ChoiceField(label="关系", choices=[("", "—"), *codes.Relation.choices], required=False)
    name = forms.CharField(label="姓名", max_length=50, required=False)
    id_number = forms.CharField(label="身份证号码", max_length=25, required=False)
    age = forms.IntegerField(label="年龄", min_value=0, max_value=120, required=False,
                             help_text="未填身份证号码时填写")
    work_status = forms.ChoiceField(label="身份/职业", choices=[("", "—"), *codes.WorkStatus.choices], required=False)
    health = forms.ChoiceField(label="健康状况", choices=codes.Health.choices, required=False,
                               initial=codes.Health.GOOD)
    monthly_income = forms.DecimalField(label="月收入（元）", required=False, min_value=Decimal("0"), max_digits=12,
                                        decimal_places=2)
    schooling = forms.ChoiceField(label="在读学段", choices=codes.Schooling.choices, required=False)
    workplace = forms.CharField(label="单位或学校", max_length=100, required=False)

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("name") or "").strip()

    def clean_id_number(self) -> str:
        value = (self.cleaned_data.get("id_number") or "").strip()
        return validate_resident_id(value) if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean() returns cleaned_data
        if not (data.get("name") or "").strip():
            return data
        if not data.get("relation"):
            self.add_error("relation", "请选择与申请人关系。")
        if not data.get("work_status"):
            self.add_error("work_status", "请选择身份/职业。")
        if (data.get("relation") == codes.Relation.SELF and not data.get("id_number") and not data.get("existing")
                and "id_number" not in self.errors):
            self.add_error("id_number", "请填写申请人本人的身份证号码。")
        if (not data.get("id_number") and not data.get("existing") and data.get("age") is None
                and "id_number" not in self.errors):
            self.add_error("age", "未填写身份证号码时，请填写年龄。")
        return data

    def member(self) -> services.MemberData:
        d = self.cleaned_data
        return services.MemberData(
            relation=d["relation"], name=d["name"].strip(), work_status=d["work_status"], id_number=d["id_number"],
            age=d.get("age"), health=d.get("health") or codes.Health.GOOD,
            monthly_income=d.get("monthly_income") or Decimal("0"), schooling=d.get("schooling") or "",
            workplace=d.get("workplace") or "", existing=d.get("existing"))


class IncomeForm(forms.Form):
    kind = forms.ChoiceField(label="收入来源", choices=[("", "—"), *codes.IncomeKind.choices], required=False)
    annual_amount = forms.DecimalField(label="年收入（元）", required=False, min_value=Decimal("0"), max_digits=12,
                                       decimal_places=2)
    note = forms.CharField(label="说明", max_length=100, required=False)

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("kind") and self.cleaned_data.get("annual_amount") in (None, Decimal("0"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None
        if data.get("annual_amount") not in (None, Decimal("0")) and not data.get("kind"):
            self.add_error("kind", "请选择收入来源。")
        if data.get("kind") and data.get("annual_amount") is None:
            self.add_error("annual_amount", "请填写年收入。")
        return data

    def income(self) -> services.IncomeData:
        d = self.cleaned_data
        return services.IncomeData(d["kind"], d["annual_amount"], d.get("note") or "")


MemberFormSet = forms.formset_factory(MemberForm, extra=0, max_num=services.MAX_MEMBERS, absolute_max=40)
IncomeFormSet = forms.formset_factory(IncomeForm, extra=0, max_num=20, absolute_max=40)


class HouseholdForms:
    """The file form with its two row tables, bound or not, validated together."""

    def __init__(self, data: Any = None, *, user: User, file: HardshipFile | None = None) -> None:
        self.file = file
        members: list[dict[str, Any]]
        if file is None:
            members = [{"relation": codes.Relation.SELF}] + [{} for _ in range(MEMBER_ROWS - 1)]
            incomes: list[dict[str, Any]] = [{} for _ in range(INCOME_ROWS)]
        else:
            members = [{"existing": m.pk, "relation": m.relation, "name": m.name, "id_number": "", "age": m.age,
                        "work_status": m.work_status, "health": m.health, "monthly_income": m.monthly_income,
                        "schooling": m.schooling, "workplace": m.workplace} for m in file.members.all()]
            members += [{} for _ in range(2)]
            incomes = [{"kind": i.kind, "annual_amount": i.annual_amount, "note": i.note} for i in file.incomes.all()]
            incomes += [{} for _ in range(2)]
        self.form = FileForm(data, user=user, instance=file)
        self.members = MemberFormSet(data, prefix="m", initial=members if data is None else None)
        self.incomes = IncomeFormSet(data, prefix="i", initial=incomes if data is None else None)
        masked = {m.pk: m.id_number_masked for m in file.members.all()} if file is not None else {}
        for n, row in enumerate(self.members.forms, start=1):
            for f in row.fields.values():
                f.widget.attrs["aria-label"] = f"第{n}位成员{f.label}"
            existing = str(row["existing"].value() or "")
            if existing.isdigit() and masked.get(int(existing)):
                row.fields["id_number"].widget.attrs["placeholder"] = masked[int(existing)]
        for n, income in enumerate(self.incomes.forms, start=1):
            for f in income.fields.values():
                f.widget.attrs["aria-label"] = f"第{n}项收入{f.label}"
        self.member_errors: list[str] = []
        self.income_errors: list[str] = []

    def is_valid(self) -> bool:
        ok = self.form.is_valid()
        ok = self.members.is_valid() and ok
        return self.incomes.is_valid() and ok

    def household(self) -> services.Household:
        members = [f.member() for f in self.members.forms if f.cleaned_data and not f.is_blank()]
        incomes = [f.income() for f in self.incomes.forms if f.cleaned_data and not f.is_blank()]
        return services.Household(self.form.data_for_service(), members, incomes)

    def add_service_error(self, exc: Any) -> None:
        """A service refusal: at the file form's field, or above the member / income tables."""
        from servicecenter.forms import add_service_error

        errors = getattr(exc, "error_dict", None)
        if errors is None:
            self.form.add_error(None, exc)
            return
        for name, messages in errors.items():
            if name == "members":
                self.member_errors = [m for e in messages for m in e.messages]
            elif name == "incomes":
                self.income_errors = [m for e in messages for m in e.messages]
            else:
                add_service_error(self.form, type(exc)({name: messages}))


# --- One form per step -------------------------------------------------------------------------------


class StepForm(forms.Form):
    def __init__(self, *args: Any, file: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = file
        self.user = user


class VisitForm(StepForm):
    visited_on = forms.DateField(label="走访日期", widget=DATE)
    visitors = forms.CharField(label="走访人员", max_length=200, help_text="至少两人，写明姓名")
    findings = forms.CharField(label="走访情况", widget=TEXT, max_length=5000,
                               help_text="家庭成员、收入、致困原因、困难诉求、已获帮扶（五清）是否属实")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()


class OverrideMixin(forms.Form):
    override_reason = forms.CharField(label="不按核算结论办理的理由", widget=TEXT, required=False, max_length=2000,
                                      help_text="核算结论与办理结果不一致时必填，记入档案")


class ReviewForm(StepForm, OverrideMixin):
    opinion = forms.CharField(label="审核意见", widget=TEXT, max_length=2000, initial="经入户调查核实，情况属实，符合认定条件。")
    field_order = ["opinion", "override_reason"]


class ReasonForm(StepForm):
    reason = forms.CharField(label="理由", widget=TEXT, max_length=2000)


class NoticeForm(StepForm):
    place = forms.CharField(label="公示地点", max_length=100, initial="社区（单位）公示栏")
    start = forms.DateField(label="公示开始日期", widget=DATE, help_text="张贴当日不计入公示期")
    end = forms.DateField(label="公示结束日期", widget=DATE, required=False,
                          help_text="不填则为最短公示期（开始日后第5个工作日）")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["start"].initial = timezone.localdate()


class ObjectionForm(StepForm):
    received_on = forms.DateField(label="收到日期", widget=DATE)
    raised_by = forms.CharField(label="异议人", max_length=50, required=False, help_text="可匿名")
    content = forms.CharField(label="异议内容", widget=TEXT, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class ResolveForm(StepForm):
    upheld = forms.ChoiceField(label="核实结果", choices=YES_NO)
    resolution = forms.CharField(label="核实处理情况", widget=TEXT, max_length=2000)

    def service_kwargs(self) -> dict[str, Any]:
        return {"upheld": self.cleaned_data["upheld"] == "yes", "resolution": self.cleaned_data["resolution"]}


class SubmitForm(StepForm):
    note = forms.CharField(label="报送意见", widget=TEXT, max_length=2000, initial="经入户审核、公示期满无异议，报请审批。")


class ApproveForm(StepForm, OverrideMixin):
    grade = forms.ChoiceField(label="困难类别", choices=codes.Grade.choices, widget=forms.RadioSelect)
    opinion = forms.CharField(label="审批意见", widget=TEXT, max_length=2000, required=False, initial="同意建档。")
    field_order = ["grade", "opinion", "override_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        evaluation = getattr(self.file, "latest_evaluation", None)
        if evaluation is not None and evaluation.grade:
            self.fields["grade"].initial = evaluation.grade


class ChangeForm(StepForm):
    note = forms.CharField(label="情况变化", max_length=200, help_text="如：再就业、家庭成员去世、收入变化")
    reported_on = forms.DateField(label="登记日期", widget=DATE, required=False)


class RecheckForm(StepForm, OverrideMixin):
    grade = forms.ChoiceField(label="复核后困难类别", choices=codes.Grade.choices, widget=forms.RadioSelect)
    opinion = forms.CharField(label="复核意见", widget=TEXT, max_length=2000)
    field_order = ["grade", "opinion", "override_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.file is not None and self.file.grade:
            self.fields["grade"].initial = self.file.grade


class ExitForm(StepForm):
    reason = forms.ChoiceField(label="脱困原因", choices=[("", "（请选择）"), *codes.ExitReason.choices])
    note = forms.CharField(label="说明", widget=TEXT, max_length=200, required=False,
                           help_text="核算结果仍符合认定条件时必填")


class CloseForm(StepForm):
    reason = forms.ChoiceField(label="注销原因", choices=[("", "（请选择）"), *codes.CloseReason.choices])
    note = forms.CharField(label="说明", widget=TEXT, max_length=200, required=False)


class AcknowledgeForm(StepForm):
    pass
