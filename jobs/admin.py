"""The skill and occupation lists are reference data: the system administrator edits them on the
admin site. No job-seeker or referral (case data) is registered here."""

from __future__ import annotations

from servicecenter.admin import SysadminOnly, admin_site

from .models import Occupation, Skill


class TermAdmin(SysadminOnly):
    list_display = ["name", "synonyms", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "synonyms"]

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        # Entries in use are referenced by postings and seekers; deactivate instead of deleting.
        return False


admin_site.register(Skill, TermAdmin)
admin_site.register(Occupation, TermAdmin)
