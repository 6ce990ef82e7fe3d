"""Changes proposed for files outside the benchmark (bench/README.md), installed only to measure them.

* ``--scope proposed``: the person/employer scope proposed for ``servicecenter/access.py``
  (literal unit ids; links as ``pk = ANY(ARRAY(…))``) — ``install_scope()``;
* ``--fast-select``: form ``<select>``s rendered in Python instead of two templates per ``<option>``
  (a form renderer proposed for ``servicecenter/forms.py`` + ``FORM_RENDERER`` in settings) —
  ``install_fast_select()``.

``bench/list_pages.py`` installs them in its own process; nothing else imports this module. The code
is the proposed code, so the README's figures are the figures of those changes.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet, Subquery
from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from servicecenter import access


def scope_unit_ids(user: Any) -> list[int]:
    from servicecenter.models import OrgUnit
    from servicecenter.models import User as UserModel

    if not access.reads_cases(user):
        return []
    cached = getattr(user, "_scope_unit_ids", None)
    if cached is None or cached[0] != user.org_unit_id:
        # One query for the user's own unit (which pages show anyway) and everything below it.
        own_path = OrgUnit.objects.filter(pk=user.org_unit_id).values("path")[:1]
        units = list(OrgUnit.objects.filter(path__startswith=Subquery(own_path)))
        for unit in units:
            if unit.pk == user.org_unit_id and not UserModel.org_unit.is_cached(user):
                user.org_unit = unit
        cached = (user.org_unit_id, [unit.pk for unit in units])
        user._scope_unit_ids = cached
    return cached[1]


class _PkInArray(Func):
    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _linked_scope(queryset: QuerySet, user: Any, link_model: type[Model], link_field: str) -> QuerySet:
    units = scope_unit_ids(user)
    linked = link_model.objects.filter(org_unit__in=units).values(link_field)
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return queryset.filter(Q(org_unit__in=units) | Q(_PkInArray(F("pk"), ArraySubquery(linked))))
    return queryset.filter(Q(org_unit__in=units) | Q(pk__in=linked))


def _person_scope(queryset: QuerySet, user: Any) -> QuerySet:
    from servicecenter.models import PersonLink

    return _linked_scope(queryset, user, PersonLink, "person_id")


def _employer_scope(queryset: QuerySet, user: Any) -> QuerySet:
    from servicecenter.models import EmployerLink

    return _linked_scope(queryset, user, EmployerLink, "employer_id")


def install_scope() -> None:
    access._SCOPE_RULES["servicecenter.person"] = _person_scope
    access._SCOPE_RULES["servicecenter.employer"] = _employer_scope


def _attrs_html(attrs: dict[str, Any]) -> str:
    """As ``django/forms/widgets/attrs.html``: False is left out, True is a bare name."""
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items() if value is not False
    )


class FastSelectRenderer(DjangoTemplates):
    """Django's form renderer, with ``<select>`` built in Python.

    Django renders every ``<option>`` through two templates (about 50 µs each); the list filters have
    eight selects, one of them the unit tree (100+ units), which was half the list page's server time.
    The HTML is the same, less the whitespace between options.
    """

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name != "django/forms/widgets/select.html":
            return super().render(template_name, context, request)
        widget = context["widget"]
        parts = [format_html('<select name="{}"', widget["name"]), _attrs_html(widget["attrs"]), ">"]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts += [format_html('<option value="{}"', option["value"]) + _attrs_html(option["attrs"])
                      + format_html(">{}</option>", option["label"]) for option in options]
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html


def install_fast_select() -> None:
    from django.conf import settings
    from django.forms.renderers import get_default_renderer

    settings.FORM_RENDERER = "proposals.FastSelectRenderer"
    get_default_renderer.cache_clear()
