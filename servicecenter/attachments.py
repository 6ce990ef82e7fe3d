"""Uploaded files: only PDF, JPEG and PNG, recognised by their content (not their name), within a
size limit, stored under a random name outside ``static/`` and served only after an access check."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.http import Http404

from . import audit
from .access import Action, require
from .models import Attachment, User

ALLOWED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def sniff_type(head: bytes) -> str | None:
    """The file type from its first bytes (magic numbers), whatever its name says."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _check_image(upload: UploadedFile) -> None:
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError("图片文件已损坏或不是有效的图片。", code="corrupt") from None


def validate_upload(upload: UploadedFile) -> str:
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise ValidationError(f"文件过大：最大 {limit} MB。", code="too_large")
    if upload.size == 0:
        raise ValidationError("文件是空的。", code="empty")
    upload.seek(0)
    mime = sniff_type(upload.read(16))
    if mime is None:
        raise ValidationError("只能上传 PDF、JPEG 或 PNG 文件（按文件内容识别，改扩展名无效）。", code="type")
    if mime.startswith("image/"):
        _check_image(upload)
    upload.seek(0)
    return mime


def storage_path(stored_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / stored_name[:2] / stored_name


@transaction.atomic
def attachment_add(*, by: User, owner: Model, upload: UploadedFile, description: str = "") -> Attachment:
    require(by, Action.CHANGE, owner)
    mime = validate_upload(upload)
    stored_name = secrets.token_hex(20) + ALLOWED[mime]
    path = storage_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    try:
        attachment = Attachment.objects.create(
            content_type=ContentType.objects.get_for_model(owner), object_id=owner.pk,
            org_unit_id=owner.org_unit_id, original_name=Path(upload.name or "file").name[:200],
            stored_name=stored_name, mime_type=mime, size=upload.size, sha256=digest.hexdigest(),
            description=description[:100], uploaded_by=by,
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return attachment


def attachment_open(*, by: User, attachment: Attachment, request: object = None) -> BinaryIO:
    """Open the stored file for download after checking the user may see the owning record."""
    owner = attachment.owner
    if owner is None:
        raise Http404("未找到该附件。")
    require(by, Action.VIEW, owner)
    audit.record(audit.Event.DOWNLOAD, user=by, request=request, target=owner, detail=attachment.original_name)
    return storage_path(attachment.stored_name).open("rb")
