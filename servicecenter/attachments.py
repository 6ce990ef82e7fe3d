"""Uploaded files: only PDF, JPEG and PNG, recognised by their content (not their name), within a
size limit, stored under a random name outside ``static/`` and served only after an access check."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model, QuerySet
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


# Where each image format ends. Checked on the bytes, not by the decoder: Pillow's decoder accepts a
# truncated image whenever ``ImageFile.LOAD_TRUNCATED_IMAGES`` is on, and WeasyPrint turns that on
# for the whole process when it is imported (the first PDF rendered), so a check through the
# decoder alone would depend on what else the process had done.
_IMAGE_ENDS = {"image/jpeg": b"\xff\xd9", "image/png": b"IEND\xaeB`\x82"}


def _size(upload: UploadedFile) -> int:
    size = upload.size
    # Django's upload handlers (and SimpleUploadedFile) always set it; only a hand-built
    # UploadedFile could lack it, which is what the stubs' Optional allows for.
    assert size is not None
    return size


def _check_image_end(upload: UploadedFile, mime: str) -> None:
    end = _IMAGE_ENDS[mime]
    upload.seek(max(_size(upload) - len(end), 0))
    if upload.read(len(end)) != end:
        raise ValidationError("图片文件已损坏或不完整（文件结尾缺失）。", code="corrupt")


def _check_image(upload: UploadedFile, mime: str) -> None:
    """Decode the whole image: a valid header followed by anything else is refused."""
    from PIL import Image

    _check_image_end(upload, mime)
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
    upload.seek(max(_size(upload) - _PDF_TAIL_BYTES, 0))
    if b"%%EOF" not in upload.read(_PDF_TAIL_BYTES):
        raise ValidationError("PDF 文件不完整或已损坏。", code="corrupt")


def validate_upload(upload: UploadedFile) -> str:
    """The file's MIME type, or a ValidationError with a Chinese message saying why it is refused."""
    if _size(upload) > settings.ATTACHMENT_MAX_BYTES:
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
                   request: HttpRequest | None = None, permission: str = Action.CHANGE,
                   timeline: Any = None) -> Attachment:
    """Check, store and record an uploaded file for ``owner``; nothing is written if it is refused.
    One audit row per upload; with ``timeline`` (the owner's event manager) the upload is on the
    record's timeline too."""
    require(by, permission, owner)
    target = attachment_target(owner._meta.label_lower)
    if target is not None and not target.may_upload(owner, by):
        raise PermissionDenied("您只能查看该记录，不能上传附件。")
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
            # A record that takes attachments is owned by a unit; Model itself does not say so.
            org_unit_id=owner.org_unit_id,  # type: ignore[attr-defined]
            original_name=Path(upload.name or "file").name[:200] or "file",
            stored_name=stored_name, mime_type=mime, size=_size(upload), sha256=digest.hexdigest(),
            description=description[:100], uploaded_by=by,
        )
        audit.record(audit.Event.UPLOAD, user=by, request=request, target=owner,
                     action=f"{owner._meta.app_label}.attach", detail=f"上传附件：{attachment.original_name}",
                     new={"attachment": attachment.pk, "size": attachment.size, "sha256": attachment.sha256})
        if timeline is not None:
            from .timeline import record

            record(timeline, "attach", label="上传附件", by=by, note=attachment.original_name, write_audit=False)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return attachment


def attachments_of(owner: Model) -> QuerySet[Attachment]:
    return (Attachment.objects.filter(content_type=ContentType.objects.get_for_model(owner), object_id=owner.pk)
            .select_related("uploaded_by").order_by("uploaded_at", "id"))


# --- Records that take attachments: one panel, one upload URL ---------------------------------------


@dataclass(frozen=True)
class AttachmentTarget:
    """A model whose records take attachments. Its app declares it (``ServiceApp.attachments``);
    the upload goes through ``/attachments/<app_label>.<model>/<pk>/`` for every such record."""

    model: type[Model]
    permission: str  # who may upload (viewing follows the record)
    url: Callable[[Any], str] = field(default=lambda obj: obj.get_absolute_url())
    timeline: str | None = None  # the record's event manager, to put uploads on its timeline
    # Beyond the permission: whether this user may add files to this record (a unit that only
    # reads a record it sent up does not). None: the permission decides alone.
    allows: Callable[[Any, User], bool] | None = None

    @property
    def key(self) -> str:
        return self.model._meta.label_lower

    def may_upload(self, obj: Any, user: User) -> bool:
        return self.allows is None or self.allows(obj, user)


def attachment_target(key: str) -> AttachmentTarget | None:
    from . import registry

    for target in [*_core_targets(), *registry.attachment_targets()]:
        if target.key == key:
            return target
    return None


def _core_targets() -> list[AttachmentTarget]:
    from django.urls import reverse

    from .models import Person

    return [AttachmentTarget(Person, Action.CHANGE, url=lambda p: reverse("person_detail", args=[p.pk]))]


_ERROR_KEY = "attachment_error:{key}:{pk}"


def remember_error(request: HttpRequest, owner: Model, messages_: list[str], description: str) -> None:
    """Keep a refused upload's message for the record page's panel, which shows it at the field."""
    request.session[_ERROR_KEY.format(key=owner._meta.label_lower, pk=owner.pk)] = {
        "errors": messages_, "description": description}


def attachment_panel(request: HttpRequest, owner: Model, permission: str | None = None) -> dict[str, Any]:
    """What ``attachments/_panel.html`` needs: the files, the upload form (with the last refused
    upload's error at the file field) and whether this user may upload."""
    from django.urls import reverse

    from .access import can
    from .forms import AttachmentForm

    key = owner._meta.label_lower
    target = attachment_target(key)
    user = request.user
    may_upload = (target is not None and can(user, permission or target.permission, owner)
                  and isinstance(user, User) and target.may_upload(owner, user))
    form = AttachmentForm()
    remembered = request.session.pop(_ERROR_KEY.format(key=key, pk=owner.pk), None) if hasattr(request, "session") else None
    if remembered:
        form = AttachmentForm(initial={"description": remembered.get("description", "")})
        form.upload_errors = remembered.get("errors", [])
    return {
        "attachments": attachments_of(owner), "attachment_form": form, "may_upload": may_upload,
        "upload_url": reverse("attachment_upload", kwargs={"key": key, "pk": owner.pk}) if target else "",
    }


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
