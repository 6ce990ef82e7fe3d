"""The category list is reference data: the system administrator edits it on the admin site.
No petition (case data) is registered here — the administrator sees no case data."""

from __future__ import annotations

from django.contrib import admin

from servicecenter.admin import SysadminOnly, admin_site

from .models import Category


@admin.register(Category, site=admin_site)
class CategoryAdmin(SysadminOnly):
    list_display = ["name", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name"]

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        # Categories in use are referenced by petitions (PROTECT); deactivate instead of deleting.
        return False
