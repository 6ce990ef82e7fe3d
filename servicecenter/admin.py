"""The system administrator's site: units, staff and roles, parameters, the working-day calendar.

Only the system administrator role enters it (not Django's is_superuser flags), and no person or
case model is registered here: the administrator sees no case data.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from . import audit
from .access import Action, role_allows
from .holidays import calendar_day_delete, calendar_day_save
from .models import CalendarDay, OrgUnit, Parameter, User
from .orgunits import orgunit_save
from .parameters import SPECS, validate_parameter
from .roles import Role
from .staff import check_separation_of_duties, staff_set_roles


class SysadminSite(admin.AdminSite):
    site_header = "职工服务中心管理系统 · 系统管理"
    site_title = "系统管理"
    index_title = "系统管理"

    def has_permission(self, request: HttpRequest) -> bool:
        return role_allows(request.user, Action.ADMINISTER)


admin_site = SysadminSite(name="admin")


def _administrator(request: HttpRequest) -> User:
    """Who is changing things: the site lets no one else in (``SysadminSite.has_permission``)."""
    user = request.user
    assert user.is_authenticated
    return user


class SysadminOnly(admin.ModelAdmin):
    def _allowed(self, request: HttpRequest) -> bool:
        return role_allows(request.user, Action.ADMINISTER)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)


@admin.register(OrgUnit, site=admin_site)
class OrgUnitAdmin(SysadminOnly):
    list_display = ["indented_name", "code", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "kind", "parent", "is_active"]

    @admin.display(description="名称", ordering="path")
    def indented_name(self, obj: OrgUnit) -> str:
        return "　" * max(obj.depth - 1, 0) + obj.name

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        orgunit_save(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # units own records; deactivate instead


class StaffCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "org_unit")


class StaffForm(UserChangeForm):
    roles = forms.MultipleChoiceField(label="角色", choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text="系统管理员、安全审计员与业务角色不能兼任。")

    class Meta(UserChangeForm.Meta):
        model = User
        # The stubs type this as UserChangeForm's own value ("__all__"); ModelForm takes a list too.
        fields = ["username", "password", "full_name", "phone", "org_unit", "is_active"]  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = list(self.instance.role_grants.values_list("role", flat=True))

    def clean_roles(self) -> list[str]:
        roles = self.cleaned_data["roles"]
        check_separation_of_duties(roles)
        return roles

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean() returns cleaned_data; only an override could not
        roles = data.get("roles") or []
        if any(Role(r).reads_cases for r in roles) and not data.get("org_unit"):
            raise ValidationError({"org_unit": "业务角色必须指定所属单位。"})
        return data


@admin.register(User, site=admin_site)
class StaffAdmin(SysadminOnly, UserAdmin):
    form = StaffForm
    add_form = StaffCreationForm
    list_display = ["username", "full_name", "org_unit", "role_list", "is_active", "last_login"]
    list_filter = ["is_active", "role_grants__role"]
    search_fields = ["username", "full_name"]
    list_select_related = ["org_unit"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("人员", {"fields": ["full_name", "phone", "org_unit", "roles"]}),
        ("状态", {"fields": ["is_active", "password_changed_at", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"fields": ["username", "password1", "password2", "full_name", "org_unit"]})]
    readonly_fields = ["password_changed_at", "last_login", "date_joined"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("role_grants")

    @admin.display(description="角色")
    def role_list(self, obj: User) -> str:
        return "、".join(Role(g.role).label for g in obj.role_grants.all())

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if "roles" in form.cleaned_data:
            staff_set_roles(user=obj, roles=form.cleaned_data["roles"], by=_administrator(request))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are deactivated, so the audit trail keeps its names


class ParameterForm(forms.ModelForm):
    key = forms.ChoiceField(label="参数", choices=lambda: [(k, f"{s.label}（{k}）") for k, s in SPECS.items()])

    class Meta:
        model = Parameter
        fields = ["key", "org_unit", "year", "value", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # ModelForm.clean() returns cleaned_data; only an override could not
        if data.get("key") and data.get("value") is not None:
            try:
                validate_parameter(data["key"], data["value"])
            except ValidationError as exc:
                self.add_error("value", exc)
            if data.get("year") and not SPECS[data["key"]].per_year:
                self.add_error("year", "该参数不分年度，请留空。")
        return data


@admin.register(Parameter, site=admin_site)
class ParameterAdmin(SysadminOnly):
    form = ParameterForm
    list_display = ["key", "label", "org_unit", "year", "value", "changed_at"]
    list_filter = ["key"]
    list_select_related = ["org_unit"]

    @admin.display(description="说明")
    def label(self, obj: Parameter) -> str:
        spec = SPECS.get(obj.key)
        return f"{spec.label}（默认 {spec.default}{spec.unit}）" if spec else ""

    def save_model(self, request: HttpRequest, obj: Parameter, form: Any, change: bool) -> None:
        obj.changed_by = _administrator(request)
        super().save_model(request, obj, form, change)
        audit.record(audit.Event.PARAMETER, request=request, target=obj,
                     detail=f"{obj.key} @ {obj.org_unit} {obj.year or ''} = {obj.value}")

    def delete_model(self, request: HttpRequest, obj: Parameter) -> None:
        audit.record(audit.Event.PARAMETER, request=request, target=obj, detail=f"删除 {obj.key} @ {obj.org_unit}")
        super().delete_model(request, obj)


@admin.register(CalendarDay, site=admin_site)
class CalendarDayAdmin(SysadminOnly):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        moved = calendar_day_save(day=obj, by=_administrator(request), request=request)
        if moved:
            self.message_user(request, f"已按新的节假日重新计算 {moved} 个未结事项的期限（已记入审计日志）。")

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        moved = calendar_day_delete(day=obj, by=_administrator(request), request=request)
        if moved:
            self.message_user(request, f"已按新的节假日重新计算 {moved} 个未结事项的期限（已记入审计日志）。")

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for day in queryset:
            calendar_day_delete(day=day, by=_administrator(request), request=request)
