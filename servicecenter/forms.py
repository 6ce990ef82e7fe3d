"""Forms for the shared pages. They check what a field alone can check; rules that need the
database (duplicates, scope) are raised by the service functions and shown at the field."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .access import assignable_units, visible
from .attachments import ALLOWED
from .models import Employer, OrgUnit, Person, User
from .validators import validate_phone, validate_resident_id, validate_uscc


def plain_messages(form: forms.BaseForm) -> None:
    """Django's stock messages replaced, field by field, by plain Chinese that names the field:
    "请填写反映内容。", "反映内容最多 5000 字，现在 10000 字。", "请从列表中选择受理单位。". A message a
    form sets itself (``error_messages=…``) is kept."""
    for field in form.fields.values():
        label = str(field.label or "此项")
        choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField)
        plain = {
            "required": f"请选择{label}。" if choosing else f"请填写{label}。",
            "max_length": f"{label}最多 %(limit_value)d 字，现在 %(show_value)d 字。",
            "min_length": f"{label}至少 %(limit_value)d 字，现在 %(show_value)d 字。",
            "invalid_choice": f"请从列表中选择{label}。",
            "invalid_list": f"请从列表中选择{label}。",
            "max_value": f"{label}不能大于 %(limit_value)s。",
            "min_value": f"{label}不能小于 %(limit_value)s。",
            "max_digits": f"{label}数值过大。",
            "max_decimal_places": f"{label}最多保留 %(max)s 位小数。",
            "max_whole_digits": f"{label}数值过大。",
        }
        if isinstance(field, forms.SplitDateTimeField | forms.DateTimeField):
            plain["invalid"] = f"请按“年-月-日 时:分”填写{label}。"
        elif isinstance(field, forms.DateField):
            plain["invalid"] = f"请按“年-月-日”填写{label}。"
        elif isinstance(field, forms.IntegerField):
            plain["invalid"] = f"{label}应为整数。"
        elif isinstance(field, forms.DecimalField | forms.FloatField):
            plain["invalid"] = f"{label}应为数字。"
        elif isinstance(field, forms.UUIDField):
            plain["invalid"] = "表单已失效，请刷新页面后重新填写。"
        elif isinstance(field, forms.FileField):
            plain.update({"invalid": "请选择要上传的文件。", "missing": "请选择要上传的文件。",
                          "empty": "文件是空的。", "max_length": "文件名过长（最多 %(max)d 个字符）。"})
        defaults: dict[str, Any] = {}
        for cls in reversed(type(field).__mro__):
            defaults.update(getattr(cls, "default_error_messages", {}))
        for code, message in plain.items():
            # Validators' messages (max_length …) are replaced by the field's message of that code.
            own = code in field.error_messages and (code not in defaults
                                                    or str(field.error_messages[code]) != str(defaults[code]))
            if not own:
                field.error_messages[code] = message


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确。连续输错多次，账号将被临时锁定。",
        "inactive": "该账号已停用。",
    }


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return "　" * max(obj.depth - 1, 0) + obj.name


class PersonForm(forms.ModelForm):
    id_number = forms.CharField(label="身份证号码", max_length=25,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                                              "placeholder": "18位，末位可为X"}))
    org_unit = UnitChoiceField(label="登记单位", queryset=OrgUnit.objects.none())

    class Meta:
        model = Person
        fields = ["name", "id_number", "phone", "address", "employer", "is_union_member", "union_card_number",
                  "is_migrant_worker", "model_worker", "jobless_certificate", "jobless_certificate_number",
                  "org_unit"]
        widgets = {"name": forms.TextInput(attrs={"autofocus": True})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        employer = cast(forms.ModelChoiceField, self.fields["employer"])
        employer.queryset = visible(Employer.objects.order_by("name"), user)
        employer.empty_label = "（无/不详）"
        self.fields["phone"].required = True
        plain_messages(self)
        if self.instance.pk:
            del self.fields["id_number"]
            del self.fields["org_unit"]
        else:
            cast(UnitChoiceField, self.fields["org_unit"]).queryset = assignable_units(user)
            self.fields["org_unit"].initial = user.org_unit_id

    def clean_id_number(self) -> str:
        return validate_resident_id(self.cleaned_data["id_number"])

    def clean_phone(self) -> str:
        return validate_phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean() returns cleaned_data; only an override could not
        if data.get("jobless_certificate") and not data.get("jobless_certificate_number"):
            self.add_error("jobless_certificate_number", "请填写下岗证/失业证号码。")
        if data.get("union_card_number") and not data.get("is_union_member"):
            self.add_error("is_union_member", "填写了会员证号，请勾选“工会会员”。")
        return data

    def _post_clean(self) -> None:
        # The service function builds and validates the instance; the form only checks input.
        pass

    def service_data(self) -> dict[str, Any]:
        skip = {"id_number", "org_unit"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class PersonLookupForm(forms.Form):
    id_number = forms.CharField(label="身份证号码", max_length=25)

    def clean_id_number(self) -> str:
        return validate_resident_id(self.cleaned_data["id_number"])


class EmployerForm(forms.ModelForm):
    org_unit = UnitChoiceField(label="登记单位", queryset=OrgUnit.objects.none())

    class Meta:
        model = Employer
        fields = ["name", "credit_code", "legal_representative", "address", "contact_person", "contact_phone",
                  "industry", "union_status", "org_unit"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)
        if self.instance.pk:
            del self.fields["credit_code"]
            del self.fields["org_unit"]
        else:
            cast(UnitChoiceField, self.fields["org_unit"]).queryset = assignable_units(user)
            self.fields["org_unit"].initial = user.org_unit_id

    def clean_credit_code(self) -> str:
        return validate_uscc(self.cleaned_data["credit_code"])

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data["contact_phone"]
        return validate_phone(phone) if phone else ""

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in {"credit_code", "org_unit"}}


class AttachmentForm(forms.Form):
    file = forms.FileField(label="文件", widget=forms.ClearableFileInput(
        attrs={"accept": ",".join(sorted(set(ALLOWED) | set(ALLOWED.values())))}))
    description = forms.CharField(label="说明", max_length=100, required=False)
    # Not a field: attachment_panel() puts a refused upload's messages here for the template.
    upload_errors: list[str]


def add_service_error(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the field it names (or on top of the form, after
    the field's label — never its code name — when the form has no such field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field in form.fields or field == "__all__":
                form.add_error(field if field in form.fields else None, errors)
            else:
                label = _label_of(form, field)
                form.add_error(None, [f"{label}：{m}" if label else m for e in errors for m in e.messages])
    else:
        form.add_error(None, exc)


def _label_of(form: forms.BaseForm, name: str) -> str:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 — FieldDoesNotExist: not a model field either
            return ""
    return ""


def _attrs_html(attrs: dict[str, Any]) -> str:
    return "".join(format_html(" {}", n) if v is True else format_html(' {}="{}"', n, v)
                   for n, v in attrs.items() if v is not False)


class FastSelectRenderer(DjangoTemplates):
    """Django's renderer, with ``<select>`` built in Python: through templates every ``<option>``
    costs two template renders, and a filter form with a hundred units spent ~3 ms of each list
    page on that. Same markup as ``django/forms/widgets/select.html`` (without the whitespace)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name != "django/forms/widgets/select.html":
            return super().render(template_name, context, request)
        widget = context["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs_html(widget["attrs"]), ">"]
        for group, options, _ in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts += [format_html('<option value="{}"', option["value"]) + _attrs_html(option["attrs"])
                      + format_html(">{}</option>", option["label"]) for option in options]
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 — every part above is escaped by format_html


# --- Monthly summaries ----------------------------------------------------------------------------------


def _text(label: str, *, required: bool = False, rows: int = 5, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=5000, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}),
                           error_messages={"required": f"请填写{label}。", "max_length": "不能超过5000字。"})


class SummaryTextForm(forms.Form):
    """The written part of a monthly summary (saved as a draft: nothing is required yet)."""

    work_done = _text("本月工作开展情况", help_text="接待来访、办理事项、帮扶救助、法律援助、就业服务等主要工作")
    problems = _text("存在的问题", rows=3)
    next_plan = _text("下月工作计划", rows=3)

    def __init__(self, *args: Any, summary: Any = None, **kwargs: Any) -> None:
        if summary is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(summary, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)


class SummarySubmitForm(SummaryTextForm):
    """Submitting (or filing) needs the account of the month's work."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_done"].required = True


class SummaryAcceptForm(forms.Form):
    note = forms.CharField(label="审核意见", required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}), error_messages={"max_length": "不能超过500字。"})

    def __init__(self, *args: Any, summary: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class SummaryReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请写明理由。", "max_length": "理由不能超过500字。"})

    def __init__(self, *args: Any, summary: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
