"""Uploaded documents: the type is decided by the first bytes, never by the name; names are ours."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _

from .errors import ValidationFailed

SIGNATURES: list[tuple[bytes, str, str]] = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
]


def sniff_content_type(head: bytes) -> tuple[str | None, str | None]:
    """(content type, extension) for an accepted document, (None, None) otherwise."""
    for magic, content_type, extension in SIGNATURES:
        if head.startswith(magic):
            return content_type, extension
    return None, None


def clean_name(name: str) -> str:
    """The uploaded name, kept as metadata only: no path, no control or shell-special characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')[:200] or "document"


@dataclass(frozen=True)
class CheckedUpload:
    storage_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def check_upload(file, *, field: str = "file") -> CheckedUpload:
    """Refuse empty, oversized or unrecognised files; return what to store them as."""
    size = getattr(file, "size", None)
    if not size:
        raise ValidationFailed(errors={field: [_("The file is empty.")]})
    if size > settings.IECQ_EVIDENCE_MAX_BYTES:
        raise ValidationFailed(
            errors={
                field: [_("The file is larger than %(mb)d MB.") % {"mb": settings.IECQ_EVIDENCE_MAX_BYTES // 2**20}]
            }
        )
    file.seek(0)
    content_type, extension = sniff_content_type(file.read(16))
    if content_type is None:
        raise ValidationFailed(errors={field: [_("Only PDF, PNG and JPEG documents are accepted.")]})
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return CheckedUpload(
        storage_name=f"{uuid.uuid4().hex}.{extension}",
        original_name=clean_name(getattr(file, "name", "") or "document"),
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


class OversizedUpload(UploadedFile):
    """Stands in for a file that passed the size cap: no content kept, only the size counted so far."""

    def __init__(self, name: str, size: int, content_type: str | None = None) -> None:
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)

    def chunks(self, chunk_size=None):
        yield from ()


class SizeCapUploadHandler(FileUploadHandler):
    """First upload handler: past IECQ_EVIDENCE_MAX_BYTES a file's remaining bytes are counted and dropped.

    The file then reaches the view as an empty `OversizedUpload` of the counted size, so `check_upload`
    refuses it with its usual "larger than" message, and no more than the cap is ever kept in memory
    or in a temporary file.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.over = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.IECQ_EVIDENCE_MAX_BYTES:
            self.over = True
            return None  # the handlers after this one never see the rest
        return raw_data

    def file_complete(self, file_size):
        if self.over:
            return OversizedUpload(self.file_name, self.received, self.content_type)
        return None
