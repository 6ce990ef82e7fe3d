"""Forms of 就业援助. They check what a field alone can check and turn text into records (a credit
code into the employer, 电焊 into the skill 焊工); the rules are the services'."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from servicecenter.access import visible
from servicecenter.forms import UnitChoiceField
from servicecenter.models import Employer, OrgUnit, Person
from servicecenter.people import person_search
from servicecenter.validators import normalise_resident_id, normalise_uscc

from . import skills as skill_terms
from .models import (
    Education,
    EmploymentType,
    Occupation,
    Paper,
    Posting,
    Recruiter,
    Seeker,
    Skill,
    open_q,
)
from .services import AREA_KINDS


def _choices(form: forms.Form, name: str) -> Any:
    """A choice field of ``form`` whose queryset is set per user."""
    return form.fields[name]


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label: str, required: bool = True, initial: Any = None) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DATE, initial=initial)


def _money(label: str, required: bool = True, **kw: Any) -> forms.DecimalField:
    return forms.DecimalField(label=label, required=required, max_digits=10, decimal_places=2, min_value=Decimal("0"),
                              widget=forms.NumberInput(attrs={"step": "0.01"}), **kw)


def area_units() -> QuerySet[OrgUnit]:
    """Work areas: the regional units (city, districts, stations, posts), not the industry chain."""
    return OrgUnit.objects.filter(kind__in=AREA_KINDS, is_active=True).order_by("path")


class TermsField(forms.CharField):
    """Skills typed as text (``电焊、叉车``), each resolved through the list's names and synonyms."""

    def __init__(self, *args: Any, queryset: QuerySet, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "用顿号或逗号分隔，可写同义词（如“电焊”即焊工）")
        super().__init__(*args, **kwargs)
        self.queryset = queryset

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple | QuerySet):
            return "、".join(getattr(v, "name", str(v)) for v in value)
        return value

    def clean(self, value: Any) -> list[Skill]:
        text = super().clean(value)
        found, unknown = skill_terms.terms_from_text(self.queryset.filter(is_active=True), text)
        if unknown:
            raise ValidationError(f"技能表中没有“{'、'.join(unknown)}”，请换一种说法（可写同义词），或请管理员补充。")
        return found


def skills_field(label: str) -> TermsField:
    return TermsField(label=label, queryset=Skill.objects.all(), max_length=300)


# --- recruiters ----------------------------------------------------------------------------------------


class RecruiterForm(forms.Form):
    credit_code = forms.CharField(label="统一社会信用代码", max_length=25,
                                  help_text="单位须先在“用人单位”中登记")
    contact_person = forms.CharField(label="招聘联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_credit_code(self) -> Employer:
        code = normalise_uscc(self.cleaned_data["credit_code"])
        employer = visible(Employer.objects.filter(credit_code=code), self.user).first()
        if employer is None:
            raise ValidationError("未找到该统一社会信用代码的用人单位，请先在“用人单位”中登记（或关联）。")
        return employer

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["employer"] = data.pop("credit_code")
        return data


class RecruiterEditForm(forms.Form):
    contact_person = forms.CharField(label="招聘联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, recruiter: Recruiter | None = None, user: Any = None, **kwargs: Any) -> None:
        if recruiter is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {"contact_person": recruiter.contact_person, "contact_phone": recruiter.contact_phone,
                                 "note": recruiter.note}
        super().__init__(*args, **kwargs)


class PaperForm(forms.Form):
    kind = forms.ChoiceField(label="证件", choices=[("", "请选择")] + list(Paper.Kind.choices))
    file = forms.FileField(label="扫描件或照片", required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
    valid_until = _date("有效期至", required=False)


class VerifyForm(forms.Form):
    verified_on = _date("核验日期", initial=timezone.localdate)

    def __init__(self, *args: Any, recruiter: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for key in ("recruiter", "posting", "seeker", "referral", "course", "enrolment", "fair", "user"):
            kwargs.pop(key, None)
        super().__init__(*args, **kwargs)


class NoteForm(ReasonForm):
    reason = None  # type: ignore[assignment]
    note = forms.CharField(label="说明", max_length=200, required=False)


# --- postings ------------------------------------------------------------------------------------------


class PostingForm(forms.Form):
    recruiter = forms.ModelChoiceField(label="用工单位", queryset=Recruiter.objects.none(), empty_label="请选择")
    title = forms.CharField(label="岗位名称", max_length=100)
    occupation = forms.ModelChoiceField(label="工种", queryset=Occupation.objects.filter(is_active=True),
                                        empty_label="请选择")
    openings = forms.IntegerField(label="招聘人数", min_value=1)
    employment_type = forms.ChoiceField(label="用工形式", choices=EmploymentType.choices,
                                        help_text="全日制按月计工资，非全日制按小时计")
    wage_min = _money("工资下限（元）")
    wage_max = _money("工资上限（元）")
    education_min = forms.TypedChoiceField(label="学历要求", choices=Education.choices, coerce=int,
                                           initial=Education.NONE)
    age_min = forms.IntegerField(label="年龄下限", required=False, min_value=0, max_value=80)
    age_max = forms.IntegerField(label="年龄上限", required=False, min_value=0, max_value=80)
    skills = skills_field("技能要求")
    requirements = forms.CharField(label="其他要求", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                   help_text="不得限制性别、婚育、民族、宗教、残疾、乙肝携带、户籍")
    area = UnitChoiceField(label="工作区域", queryset=OrgUnit.objects.none(), empty_label="请选择")
    address = forms.CharField(label="工作地点", max_length=200)
    contact_person = forms.CharField(label="联系人", max_length=50)
    contact_phone = forms.CharField(label="联系电话", max_length=20)
    valid_from = _date("有效期自", initial=timezone.localdate)
    valid_to = _date("有效期至")
    for_vulnerable = forms.BooleanField(label="适合困难职工、下岗失业人员、农民工", required=False)

    def __init__(self, *args: Any, user: Any, posting: Posting | None = None, **kwargs: Any) -> None:
        if posting is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(posting, f) for f in (
                "title", "occupation", "openings", "employment_type", "wage_min", "wage_max", "education_min",
                "age_min", "age_max", "requirements", "area", "address", "contact_person", "contact_phone",
                "valid_from", "valid_to", "for_vulnerable")}
            kwargs["initial"]["skills"] = list(posting.skills.all())
        super().__init__(*args, **kwargs)
        _choices(self, "area").queryset = area_units()
        if posting is not None:
            del self.fields["recruiter"]
        else:
            _choices(self, "recruiter").queryset = visible(Recruiter.objects.select_related("employer"), user).order_by(
                "employer__name")

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("recruiter", None)
        return data


class RenewForm(forms.Form):
    valid_to = _date("新的有效期截止日")

    def __init__(self, *args: Any, posting: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class FillForm(NoteForm):
    pass


class CloseForm(ReasonForm):
    reason = forms.CharField(label="停止招聘原因", max_length=200)


# --- seekers --------------------------------------------------------------------------------------------


class SeekerForm(forms.Form):
    education = forms.TypedChoiceField(label="文化程度", choices=Education.choices[1:], coerce=int,
                                       initial=Education.JUNIOR)
    skills = skills_field("技能")
    diploma = forms.CharField(label="毕业证书", max_length=100, required=False, help_text="学校、专业、毕业年份")
    titles = forms.CharField(label="职称/职业资格证书", max_length=200, required=False)
    desired_occupation = forms.ModelChoiceField(label="期望工种", queryset=Occupation.objects.filter(is_active=True),
                                                required=False, empty_label="不限")
    desired_area = UnitChoiceField(label="期望工作区域", queryset=OrgUnit.objects.none(), required=False,
                                   empty_label="不限")
    employment_type = forms.ChoiceField(label="用工形式", choices=Seeker.Preference.choices)
    desired_monthly_wage = _money("期望月工资不低于（元）", required=False, help_text="全日制；不填表示不限")
    desired_hourly_wage = _money("期望小时工资不低于（元）", required=False, help_text="非全日制；不填表示不限")
    available_from = _date("可到岗日期", required=False)
    availability = forms.CharField(label="可工作时间", max_length=100, required=False, help_text="如：可倒班、仅白班")
    certificate = forms.ChoiceField(label="下岗证/失业证", choices=Person.JoblessCertificate.choices, required=False)
    certificate_number = forms.CharField(label="证件号码", max_length=30, required=False)
    certificate_issuer = forms.CharField(label="发证机关", max_length=100, required=False)

    def __init__(self, *args: Any, user: Any = None, seeker: Seeker | None = None, person: Person | None = None,
                 **kwargs: Any) -> None:
        person = person or (seeker.person if seeker else None)
        if not args and "initial" not in kwargs:
            initial: dict[str, Any] = {}
            if seeker is not None:
                initial = {f: getattr(seeker, f) for f in (
                    "education", "diploma", "titles", "desired_occupation", "desired_area", "employment_type",
                    "desired_monthly_wage", "desired_hourly_wage", "available_from", "availability",
                    "certificate_issuer")}
                initial["skills"] = list(seeker.skills.all())
            if person is not None:
                initial["certificate"] = person.jobless_certificate
                initial["certificate_number"] = person.jobless_certificate_number
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        _choices(self, "desired_area").queryset = area_units()


class PhotoForm(forms.Form):
    file = forms.FileField(label="照片（JPEG/PNG）", widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png"}))


class PostingChoiceField(forms.CharField):
    """A posting by its number (GW-…) or id, among those given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queryset: QuerySet[Posting] = Posting.objects.none()

    def clean(self, value: Any) -> Posting | None:
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        qs = self.queryset.filter(pk=int(text)) if text.isdigit() else self.queryset.filter(number=text.upper())
        posting = qs.first()
        if posting is None:
            raise ValidationError("未找到该岗位编号。")
        return posting


class ReferForm(forms.Form):
    posting = PostingChoiceField(label="岗位编号", max_length=40, required=False, help_text="如 GW-330602001-2026-00001")
    note = forms.CharField(label="推荐说明", max_length=200, required=False)

    def __init__(self, *args: Any, user: Any, seeker: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "posting").queryset = visible(Posting.objects.all(), user)


class WithdrawForm(ReasonForm):
    reason = forms.CharField(label="撤销原因", max_length=200)


class ResumeForm(NoteForm):
    pass


# --- referrals -----------------------------------------------------------------------------------------


class InterviewForm(forms.Form):
    interviewed_on = _date("面试日期", initial=timezone.localdate)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, referral: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class HireForm(forms.Form):
    start_date = _date("到岗日期")
    wage = _money("录用工资（元）")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, referral: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if referral is not None:
            self.fields["wage"].help_text = referral.posting.wage_unit


class RejectForm(ReasonForm):
    reason = None  # type: ignore[assignment]
    note = forms.CharField(label="未录用原因", max_length=200)


class FollowUpForm(forms.Form):
    followed_up_on = _date("回访日期", initial=timezone.localdate)
    still_employed = forms.TypedChoiceField(label="是否仍在岗", choices=[("yes", "仍在岗"), ("no", "已离职")],
                                            widget=forms.RadioSelect, coerce=lambda v: v == "yes")
    left_on = _date("离职日期", required=False)
    note = forms.CharField(label="回访情况", max_length=200, required=False)

    def __init__(self, *args: Any, referral: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class LeaveForm(forms.Form):
    left_on = _date("离职日期")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, referral: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


# --- training ----------------------------------------------------------------------------------------------


class CourseForm(forms.Form):
    name = forms.CharField(label="课程名称", max_length=100)
    provider = forms.CharField(label="培训机构", max_length=100)
    starts_on = _date("开班日期")
    ends_on = _date("结业日期")
    hours = forms.IntegerField(label="课时", min_value=1)
    capacity = forms.IntegerField(label="名额", min_value=1)
    fee = _money("学费（元）")
    discount_percent = forms.DecimalField(label="下岗证/失业证学员减免比例（%）", max_digits=5, decimal_places=2,
                                          min_value=Decimal("0"), max_value=Decimal("100"), required=False,
                                          help_text="不填按参数默认值")


def _person_by_text(user: Any, text: str) -> Person:
    """A person the user may see, by full ID number or by a name that only one of them has."""
    text = (text or "").strip()
    qs = visible(Person.objects.all(), user)
    if len(normalise_resident_id(text)) == 18:
        found = list(person_search(qs, text)[:2])
    else:
        found = list(qs.filter(name=text)[:2])
    if not found:
        raise ValidationError("未找到该职工（可输入完整身份证号码；他处登记的职工请先关联）。")
    if len(found) > 1:
        raise ValidationError("同名职工不止一位，请输入完整身份证号码。")
    return found[0]


class EnrolForm(forms.Form):
    person = forms.CharField(label="学员身份证号码", max_length=25, help_text="完整身份证号码，或本单位唯一的姓名")

    def __init__(self, *args: Any, course: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_person(self) -> Person:
        return _person_by_text(self.user, self.cleaned_data["person"])


class AttendForm(forms.Form):
    hours = forms.IntegerField(label="出勤课时", min_value=1)
    on = _date("日期", initial=timezone.localdate)

    def __init__(self, *args: Any, enrolment: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class CompleteForm(forms.Form):
    certificate_no = forms.CharField(label="结业证书编号", max_length=40, required=False)
    completed_on = _date("结业日期", initial=timezone.localdate)

    def __init__(self, *args: Any, enrolment: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class DropForm(ReasonForm):
    reason = forms.CharField(label="退训原因", max_length=200)


class EmptyForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for key in ("recruiter", "posting", "seeker", "referral", "course", "enrolment", "fair", "user"):
            kwargs.pop(key, None)
        super().__init__(*args, **kwargs)


# --- fairs -----------------------------------------------------------------------------------------------


class FairForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    held_on = _date("举办日期")
    place = forms.CharField(label="地点", max_length=200)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class JoinForm(forms.Form):
    recruiter = forms.ModelChoiceField(label="用工单位", queryset=Recruiter.objects.none(), empty_label="请选择")
    postings = forms.CharField(label="参会岗位编号", required=False, max_length=500,
                               help_text="用逗号分隔；留空表示该单位全部招聘中的岗位")

    def __init__(self, *args: Any, fair: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        _choices(self, "recruiter").queryset = visible(
            Recruiter.objects.filter(status=Recruiter.Status.VERIFIED).select_related("employer"), user).order_by(
            "employer__name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        recruiter = data.get("recruiter")
        if recruiter is None:
            return data
        numbers = skill_terms.split_terms(data.get("postings") or "")
        qs = visible(Posting.objects.filter(recruiter=recruiter), self.user)
        if numbers:
            found = list(qs.filter(number__in=[n.upper() for n in numbers]))
            missing = sorted({n.upper() for n in numbers} - {p.number for p in found})
            if missing:
                self.add_error("postings", f"该单位没有岗位：{'、'.join(missing)}。")
            data["postings"] = found
        else:
            data["postings"] = list(qs.filter(open_q(timezone.localdate())))
        return data


class SeekerChoiceMixin(forms.Form):
    seeker = forms.CharField(label="求职者", max_length=40, help_text="求职编号（QZ-…）或完整身份证号码")

    def __init__(self, *args: Any, fair: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_seeker(self) -> Seeker:
        text = self.cleaned_data["seeker"].strip()
        qs = visible(Seeker.objects.select_related("person"), self.user)
        seeker = qs.filter(number=text.upper()).first()
        if seeker is None and len(normalise_resident_id(text)) == 18:
            people = person_search(Person.objects.all(), text).values("pk")
            seeker = qs.filter(person__in=people).first()
        if seeker is None:
            raise ValidationError("未找到该求职者（请先做求职登记）。")
        return seeker


class AttendeeForm(SeekerChoiceMixin):
    pass


class FairReferForm(SeekerChoiceMixin):
    posting = PostingChoiceField(label="岗位编号", max_length=40)
    note = forms.CharField(label="推荐说明", max_length=200, required=False)

    def __init__(self, *args: Any, fair: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, fair=fair, user=user, **kwargs)
        _choices(self, "posting").queryset = visible(Posting.objects.all(), user)


class RatesForm(forms.Form):
    """The placement-rate page: a referral period and the date the outcomes are counted to."""

    start = _date("推荐日期自")
    end = _date("推荐日期至")
    as_of = _date("统计截至")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, as_of = data.get("start"), data.get("end"), data.get("as_of")
        if start and end and end < start:
            self.add_error("end", "截止日期不能早于开始日期。")
        if end and as_of and as_of < end:
            self.add_error("as_of", "统计截至日期不能早于推荐期间的截止日期。")
        return data


def default_period(today: datetime.date) -> dict[str, datetime.date]:
    return {"start": today.replace(day=1), "end": today, "as_of": today}
