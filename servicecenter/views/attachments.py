"""Attachment download: the only way a stored file leaves the server."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from ..attachments import attachment_open
from ..models import Attachment


@require_safe
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
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
