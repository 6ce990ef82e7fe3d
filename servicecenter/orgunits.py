"""Changes to the organisation tree. Paths are kept consistent here and nowhere else."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from .models import OrgUnit


@transaction.atomic
def orgunit_save(unit: OrgUnit) -> OrgUnit:
    """Create or update a unit; moving or recoding it rewrites the paths of everything below it."""
    parent = unit.parent if unit.pk and unit.parent_id and unit.path else None
    if parent is not None and parent.path.startswith(unit.path):
        raise ValidationError({"parent": "不能把单位移到它自己或其下级单位之下。"})
    if "/" in unit.code:
        raise ValidationError({"code": "代码不能包含“/”。"})
    old_path = OrgUnit.objects.filter(pk=unit.pk).values_list("path", flat=True).first() if unit.pk else None
    unit.path = unit.compute_path()
    unit.depth = unit.path.count("/") - 1
    unit.save()
    if old_path and old_path != unit.path:
        shift = unit.depth - (old_path.count("/") - 1)
        OrgUnit.objects.filter(path__startswith=old_path).exclude(pk=unit.pk).update(
            path=Concat(Value(unit.path), Substr("path", len(old_path) + 1)),
            depth=F("depth") + shift,
        )
    return unit
