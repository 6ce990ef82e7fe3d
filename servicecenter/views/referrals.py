"""Referrals: the one POST URL that refers a record to another service (referrals.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..access import get_visible_or_404
from ..http import StaffRequest
from ..referrals import referral_create, remember_error, source_by_key, target_by_code


@require_POST
def referral_new(request: StaffRequest, target: str, source: str, pk: int) -> HttpResponse:
    declared_target, declared_source = target_by_code(target), source_by_key(source)
    if declared_target is None or declared_source is None:
        raise Http404("未找到该记录。")
    obj = get_visible_or_404(declared_source.model._default_manager.all(), request.user, pk=pk)
    note = (request.POST.get("note") or "")[:1000]
    try:
        draft = referral_create(target=declared_target, source=declared_source, obj=obj, by=request.user, note=note)
    except ValidationError as exc:
        remember_error(request, declared_target, obj, exc.messages, note)
        return redirect(declared_source.url(obj) + "#referrals")
    messages.success(request, f"已{declared_target.label}：{draft}")
    return redirect(declared_target.url(draft))
