"""Django admin's changelist over people, for comparison only (``bench/list_pages.py``).

A separate ``AdminSite`` with its own URLconf, imported by the benchmark and nowhere else: the real
administration site (``servicecenter.admin.admin_site``) never shows people. The changelist sees what
our list page sees: the same access policy (``access.visible``), the same search
(``people.person_search``), the same related rows, 50 per page; everything else is the admin's own
behaviour (``Paginator`` with an exact ``COUNT``, plus the unfiltered total it shows beside a search).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import path

from servicecenter.access import Action, role_allows, visible
from servicecenter.models import Person
from servicecenter.people import person_search
from servicecenter.urls import urlpatterns as app_urlpatterns


class BenchAdminSite(admin.AdminSite):
    site_header = "benchmark only"

    def has_permission(self, request: HttpRequest) -> bool:
        return role_allows(request.user, Action.VIEW)


site = BenchAdminSite(name="benchadmin")


@admin.register(Person, site=site)
class PersonChangelist(admin.ModelAdmin):
    list_display = ("name", "sex", "birth_date", "id_number_masked", "phone", "employer", "org_unit")
    list_select_related = ("org_unit", "employer")
    list_per_page = 50
    search_fields = ("name",)  # replaced by person_search below; the admin needs one to show the box
    list_filter = ("sex", "is_migrant_worker")
    ordering = ("-id",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return visible(super().get_queryset(request), request.user)

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> tuple[Any, bool]:
        return person_search(queryset, search_term), False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return role_allows(request.user, Action.VIEW)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


urlpatterns = [path("bench-admin/", site.urls), *app_urlpatterns]
