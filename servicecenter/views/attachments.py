"""Attachments: the one upload URL for every record that takes files, and the download, the only way
a stored file leaves the server."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from ..access import get_visible_or_404, require
from ..attachments import attachment_add, attachment_open, attachment_target, remember_error
from ..forms import AttachmentForm
from ..http import StaffRequest
from ..models import Attachment


@require_POST
def attachment_upload(request: StaffRequest, key: str, pk: int) -> HttpResponse:
    target = attachment_target(key)
    if target is None:
        raise Http404("未找到该记录。")
    owner = get_visible_or_404(target.model._default_manager.all(), request.user, pk=pk)
    require(request.user, target.permission, owner)
    form = AttachmentForm(request.POST, request.FILES)
    description = (request.POST.get("description") or "")[:100]
    if form.is_valid():
        try:
            attachment_add(by=request.user, owner=owner, upload=form.cleaned_data["file"], description=description,
                           request=request, permission=target.permission,
                           timeline=getattr(owner, target.timeline) if target.timeline else None)
        except ValidationError as exc:
            remember_error(request, owner, exc.messages, description)
        else:
            messages.success(request, "附件已上传。")
    else:
        # ErrorList yields each message as a str already; str() tells the type checker so.
        remember_error(request, owner, [str(m) for errors in form.errors.values() for m in errors], description)
    return redirect(target.url(owner) + "#attachments")


@require_safe
def attachment_download(request: StaffRequest, pk: int) -> FileResponse:
    try:
        attachment = Attachment.objects.select_related("content_type").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404("未找到该附件。") from None
    # attachment_open applies the access policy to the owning record (404 outside scope).
    handle = attachment_open(by=request.user, attachment=attachment, request=request)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.mime_type)
    # Never rendered by the browser (always a download), never cached by shared caches.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
