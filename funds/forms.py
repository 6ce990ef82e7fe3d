"""Forms: what the input alone can check, with plain Chinese messages; the rules are the services'
and are shown at the field they name."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import timezone

from servicecenter.access import assignable_units, visible
from servicecenter.forms import UnitChoiceField, plain_messages
from servicecenter.models import OrgUnit, Person, User
from servicecenter.people import person_by_id_number

from .models import FundAccount, FundSource, Grant, ReliefType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = forms.Textarea(attrs={"rows": 3})
MONEY = forms.TextInput(attrs={"inputmode": "decimal"})


class _Plain(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)


class SourceForm(_Plain):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    org_unit = UnitChoiceField(label="接收单位", queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label="资金性质", choices=[("", "（请选择）"), *FundSource.Kind.choices])
    donor = forms.CharField(label="捐赠/拨款单位或个人", max_length=100)
    received_on = forms.DateField(label="到账日期", widget=DATE)
    amount = forms.CharField(label="金额（元）", max_length=20, widget=MONEY)
    restriction = forms.MultipleChoiceField(label="限定用途", choices=ReliefType.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text="不选：可用于各类救助；选了：只能支付所选救助类型")
    keeper = forms.ModelChoiceField(label="专管员", queryset=User.objects.none(), required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = assignable_units(user)
        self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["org_unit"].initial = user.org_unit_id
        self.fields["keeper"].queryset = User.objects.filter(org_unit__in=units, is_active=True).order_by("username")  # type: ignore[attr-defined]
        self.fields["received_on"].initial = timezone.localdate()
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex

    def key(self) -> str:
        return (self.cleaned_data.get("token") or "").strip() or uuid.uuid4().hex


class AllocationForm(_Plain):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    to_unit = UnitChoiceField(label="下拨给", queryset=OrgUnit.objects.none())
    amount = forms.CharField(label="金额（元）", max_length=20, widget=MONEY)
    memo = forms.CharField(label="摘要", max_length=200, required=False)

    def __init__(self, *args: Any, account: FundAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        below = OrgUnit.objects.filter(path__startswith=account.org_unit.path, is_active=True)
        self.fields["to_unit"].queryset = below.exclude(pk=account.org_unit_id).order_by("path")  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex


class ReverseForm(_Plain):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label="冲正原因", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex


class GrantForm(_Plain):
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    org_unit = UnitChoiceField(label="申报单位", queryset=OrgUnit.objects.none())
    person_id_number = forms.CharField(label="救助对象身份证号", max_length=20,
                                       help_text="须是已登记的人员（先在“人员”中登记）")
    relief_type = forms.ChoiceField(label="救助类型", choices=[("", "（请选择）"), *ReliefType.choices])
    hardship_file_id = forms.IntegerField(label="困难职工档案（内部编号）", required=False, min_value=1,
                                          help_text="生活救助、定期批量救助须填写；从困难职工档案页面发起时自动带入")
    amount = forms.CharField(label="金额（元）", max_length=20, widget=MONEY)
    reason = forms.CharField(label="申请理由", widget=TEXT, max_length=2000)
    evidence = forms.CharField(label="证明材料", max_length=200, required=False,
                               help_text="医疗救助须注明已核验的医疗费原始票据")
    applied_on = forms.DateField(label="申请日期", widget=DATE)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["org_unit"].queryset = assignable_units(user)  # type: ignore[attr-defined]
        self.fields["org_unit"].initial = user.org_unit_id
        self.fields["applied_on"].initial = timezone.localdate()
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())

    def clean_person_id_number(self) -> Person:
        person = person_by_id_number(self.cleaned_data["person_id_number"])
        if person is None or not visible(Person.objects.filter(pk=person.pk), self.user).exists():
            raise forms.ValidationError("未找到该身份证号的人员（或不在本单位范围内），请先登记人员。")
        return person


class StepForm(_Plain):
    def __init__(self, *args: Any, grant: Grant | None = None, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grant, self.user = grant, user


class NoteForm(StepForm):
    note = forms.CharField(label="核实意见", widget=TEXT, max_length=2000, initial="经入户核实，情况属实。")


class ReasonForm(StepForm):
    reason = forms.CharField(label="理由", widget=TEXT, max_length=2000)


class ApproveForm(StepForm):
    account = forms.ModelChoiceField(label="支付专户", queryset=FundAccount.objects.none(),
                                     help_text="只列出本单位及上级单位可用余额足够的专户；资金来源须允许该救助类型")
    opinion = forms.CharField(label="审批意见", widget=TEXT, max_length=2000, required=False, initial="同意。")
    confirm_reason = forms.CharField(label="重复救助确认理由", widget=TEXT, max_length=2000, required=False,
                                     help_text="该户本年度已获同类救助时须填写")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.grant is not None and self.user is not None:
            from .services import payable_accounts

            self.fields["account"].queryset = payable_accounts(self.grant, self.user)  # type: ignore[attr-defined]
            self.fields["account"].label_from_instance = (  # type: ignore[attr-defined]
                lambda a: f"{a}（可用 {a.available} 元，限定：{a.source.restriction_display}）")
            if self.grant.account_id:
                self.fields["account"].initial = self.grant.account_id


class PayForm(StepForm):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    method = forms.ChoiceField(label="发放方式", choices=[("", "（请选择）"), *Grant.Method.choices])
    paid_on = forms.DateField(label="发放日期", widget=DATE, required=False)
    by_proxy = forms.BooleanField(label="代领", required=False)
    proxy_name = forms.CharField(label="代领人姓名", max_length=50, required=False)
    proxy_relation = forms.CharField(label="代领人与救助对象关系", max_length=20, required=False)
    proxy_id_number = forms.CharField(label="代领人身份证号", max_length=20, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex


class BudgetForm(_Plain):
    org_unit = UnitChoiceField(label="单位", queryset=OrgUnit.objects.none())
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    relief_type = forms.ChoiceField(label="救助类型", choices=[("", "（请选择）"), *ReliefType.choices])
    amount = forms.CharField(label="预算（元）", max_length=20, widget=MONEY)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = assignable_units(user)  # type: ignore[attr-defined]
        self.fields["org_unit"].initial = user.org_unit_id
        self.fields["year"].initial = timezone.localdate().year


class YearCloseForm(_Plain):
    org_unit = UnitChoiceField(label="单位", queryset=OrgUnit.objects.none())
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = assignable_units(user)  # type: ignore[attr-defined]
        self.fields["org_unit"].initial = user.org_unit_id
        self.fields["year"].initial = timezone.localdate().year - 1
