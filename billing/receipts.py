"""Expense receipts: where they are stored and which files are accepted (a PDF or an image, at most
RECEIPT_MAX_BYTES), checked by extension and by the file's first bytes, so a renamed file is refused too."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile

# Extension → (content type, the magic bytes the file starts with).
RECEIPT_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
}


def receipt_max_bytes() -> int:
    return getattr(settings, "RECEIPT_MAX_BYTES", 10 * 1024 * 1024)


def receipt_extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def receipt_content_type(name: str) -> str:
    return RECEIPT_TYPES.get(receipt_extension(name), ("application/octet-stream", ()))[0]


def receipt_path(expense, filename: str) -> str:
    """receipts/<organization>/<random>.<ext>: the stored name never carries the uploaded name's path or text."""
    extension = receipt_extension(filename) or "bin"
    return f"receipts/{expense.organization_id}/{uuid.uuid4().hex}.{extension}"


def validate_receipt(file) -> None:
    name = getattr(file, "name", "") or ""
    extension = receipt_extension(name)
    if extension not in RECEIPT_TYPES:
        raise ValidationError("A receipt must be a PDF, PNG, JPEG or GIF file.")
    size = getattr(file, "size", 0) or 0
    most = receipt_max_bytes()
    if size > most:
        raise ValidationError(f"A receipt may be at most {most // (1024 * 1024)} MB; this one is larger.")
    if size == 0:
        raise ValidationError("The receipt file is empty.")
    if isinstance(file, FieldFile) and file._committed:
        return  # already stored: it was checked when it was uploaded
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not head.startswith(RECEIPT_TYPES[extension][1]):
        raise ValidationError(f"This file is not a {extension.upper()} file.")
