from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from ..attachments import attachment_open
from ..models import Attachment


def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = Attachment.objects.select_related("content_type").get(pk=pk)
    except Attachment.DoesNotExist:
        raise Http404("未找到该附件。") from None
    # attachment_open applies the access policy to the owning record (404 outside scope).
    handle = attachment_open(by=request.user, attachment=attachment, request=request)
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
