"""Uploaded files: only PDF, JPEG and PNG, recognised by their content (not their name), within a
size limit, stored under a random name outside ``static/`` and served only after an access check."""

from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.template.defaultfilters import filesizeformat

from . import audit
from .access import Action, require
from .models import Attachment, User

logger = logging.getLogger(__name__)

ALLOWED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# Pillow's name for each image type, to check the decoder agrees with the magic number.
_IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
# A decoded image needs about 4 bytes a pixel; 60 megapixels covers any scan or phone photo and keeps
# a small "decompression bomb" file from taking the server's memory.
MAX_IMAGE_PIXELS = 60_000_000
# The PDF trailer ends with %%EOF; writers may add a newline or a little padding after it.
_PDF_TAIL_BYTES = 2048

TYPE_MESSAGE = "只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别，改扩展名无效）。"


def sniff_type(head: bytes) -> str | None:
    """The file type from its first bytes (magic numbers), whatever its name says."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _check_image(upload: UploadedFile, mime: str) -> None:
    """Decode the whole image: a valid header followed by anything else is refused."""
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload, formats=[_IMAGE_FORMATS[mime]]) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError("图片尺寸过大，请缩小后再上传。", code="too_many_pixels")
            image.load()
    except ValidationError:
        raise
    except Exception:  # Pillow raises many kinds of error on a bad file; all of them mean "corrupt".
        raise ValidationError("图片文件已损坏或不是有效的 JPEG/PNG 图片。", code="corrupt") from None


def _check_pdf(upload: UploadedFile) -> None:
    upload.seek(max(upload.size - _PDF_TAIL_BYTES, 0))
    if b"%%EOF" not in upload.read(_PDF_TAIL_BYTES):
        raise ValidationError("PDF 文件不完整或已损坏。", code="corrupt")


def validate_upload(upload: UploadedFile) -> str:
    """The file's MIME type, or a ValidationError with a Chinese message saying why it is refused."""
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(f"文件过大：最大 {filesizeformat(settings.ATTACHMENT_MAX_BYTES)}。", code="too_large")
    if upload.size == 0:
        raise ValidationError("文件是空的。", code="empty")
    upload.seek(0)
    mime = sniff_type(upload.read(16))
    if mime is None:
        raise ValidationError(TYPE_MESSAGE, code="type")
    if mime in _IMAGE_FORMATS:
        _check_image(upload, mime)
    else:
        _check_pdf(upload)
    upload.seek(0)
    return mime


def storage_path(stored_name: str) -> Path:
    """Where a stored file lives: ``MEDIA_ROOT/<first two characters>/<random name>``."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("invalid stored attachment name")
    return Path(settings.MEDIA_ROOT) / stored_name[:2] / stored_name


@transaction.atomic
def attachment_add(*, by: User, owner: Model, upload: UploadedFile, description: str = "",
                   request: HttpRequest | None = None) -> Attachment:
    """Check, store and record an uploaded file for ``owner``; nothing is written if it is refused."""
    require(by, Action.CHANGE, owner)
    mime = validate_upload(upload)
    # The stored name is random and says nothing about the original: the original name is kept
    # only in the database, for the download's Content-Disposition.
    stored_name = secrets.token_hex(20) + ALLOWED[mime]
    path = storage_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    try:
        with path.open("xb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                out.write(chunk)
        attachment = Attachment.objects.create(
            content_type=ContentType.objects.get_for_model(owner), object_id=owner.pk,
            org_unit_id=owner.org_unit_id, original_name=Path(upload.name or "file").name[:200] or "file",
            stored_name=stored_name, mime_type=mime, size=upload.size, sha256=digest.hexdigest(),
            description=description[:100], uploaded_by=by,
        )
        audit.record(audit.Event.CREATE, user=by, request=request, target=owner,
                     detail=f"上传附件：{attachment.original_name}")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return attachment


def attachment_open(*, by: User, attachment: Attachment, request: HttpRequest | None = None) -> BinaryIO:
    """Open the stored file for download after checking the user may see the owning record."""
    owner = attachment.owner
    if owner is None:
        raise Http404("未找到该附件。")
    require(by, Action.VIEW, owner)
    try:
        handle = storage_path(attachment.stored_name).open("rb")
    except (OSError, ValueError):
        logger.error("Attachment %s: stored file %s is missing", attachment.pk, attachment.stored_name)
        raise Http404("附件文件缺失，请联系系统管理员。") from None
    audit.record(audit.Event.DOWNLOAD, user=by, request=request, target=owner,
                 detail=attachment.original_name)
    return handle
