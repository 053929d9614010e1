"""Upload checks: the type of a document is decided by its first bytes, never by its name."""

from __future__ import annotations

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
