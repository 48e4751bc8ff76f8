"""Checking an uploaded file before it joins a ticket: its real type from its content, its
size, an image's location metadata stripped, and its checksum. Every edge uses this."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "image/gif": "GIF"}
DOCUMENT_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEXT_SUFFIXES = {".txt": "text/plain", ".csv": "text/csv"}
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
    "text/csv": ".csv",
}
# Pillow refuses images beyond this many pixels rather than decoding a decompression bomb.
MAX_IMAGE_PIXELS = 50_000_000


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


@dataclass(frozen=True)
class PreparedFile:
    """A checked file ready to store: safe name, real content type, content and checksum."""

    name: str
    content_type: str
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def prepare_upload(name: str, data: bytes) -> PreparedFile:
    """Check an upload and return what to store; a ValidationError says what is wrong."""
    limit = max_bytes()
    if not data:
        raise ValidationError(_("The selected file is empty"), code="empty")
    if len(data) > limit:
        raise ValidationError(
            _("The selected file must be smaller than %(size)s MB"),
            code="too_large",
            params={"size": limit // (1024 * 1024)},
        )
    content_type = _sniff(name, data)
    if content_type in IMAGE_TYPES:
        data = _strip_metadata(data, IMAGE_TYPES[content_type])
    stem = PurePath(name).stem[:100] or "file"
    safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in stem).strip() or "file"
    return PreparedFile(
        name=safe + EXTENSIONS[content_type],
        content_type=content_type,
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _sniff(name: str, data: bytes) -> str:
    kind = filetype.guess(data)
    if kind is not None and (kind.mime in IMAGE_TYPES or kind.mime in DOCUMENT_TYPES):
        return str(kind.mime)
    suffix = PurePath(name).suffix.lower()
    if kind is None and suffix in TEXT_SUFFIXES:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return TEXT_SUFFIXES[suffix]
    raise ValidationError(
        _(
            "The selected file must be a photo (JPG, PNG, WEBP or GIF), a PDF, a Word or Excel "
            "document, or a text or CSV file"
        ),
        code="type",
    )


def _strip_metadata(data: bytes, pillow_format: str) -> bytes:
    """Re-encode the image without EXIF (which holds GPS location), keeping its orientation."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if pillow_format == "GIF" and getattr(image, "is_animated", False):
                # Animated GIFs carry no EXIF location; keep them as they are.
                return data
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            options: dict[str, object] = (
                {"quality": 90} if pillow_format in {"JPEG", "WEBP"} else {}
            )
            if pillow_format == "JPEG" and upright.mode not in {"RGB", "L"}:
                upright = upright.convert("RGB")
            upright.save(out, format=pillow_format, **options)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(_("The selected photo could not be read"), code="image") from None
