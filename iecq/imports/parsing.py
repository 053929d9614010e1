"""Uploaded import files: checked like every upload (size, type by content, our own names), then read into rows.

A file-level problem (wrong encoding, JSON that is not a list, missing or unknown columns) is reported as
errors of row 0 (CSV: the header is row 1, the first data row row 2; JSON: the first object is row 1).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from iecq.errors import ValidationFailed
from iecq.uploads import clean_name

from .choices import ImportFormat
from .columns import COLUMNS, column_names

MAX_BYTES = getattr(settings, "IECQ_IMPORT_MAX_BYTES", 64 * 2**20)
MAX_ROWS = getattr(settings, "IECQ_IMPORT_MAX_ROWS", 200_000)
MAX_CELL = 4000
BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class CheckedImport:
    storage_name: str
    original_name: str
    format: str
    size: int
    sha256: str


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


def sniff_format(head: bytes) -> str | None:
    """csv or json from the first bytes (never from the name); None for what is not UTF-8 text."""
    if head.startswith(BOM):
        head = head[len(BOM) :]
    if b"\x00" in head:
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    stripped = text.lstrip()
    if not stripped:
        return None
    return ImportFormat.JSON if stripped[0] in "[{" else ImportFormat.CSV


def check_import_upload(file, *, field: str = "file") -> CheckedImport:
    """Refuse empty, oversized, binary or non-UTF-8 files; return what to store the file as."""
    size = getattr(file, "size", None)
    if not size:
        raise ValidationFailed(errors={field: [_("The file is empty.")]})
    if size > MAX_BYTES:
        raise ValidationFailed(errors={field: [_("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}]})
    file.seek(0)
    fmt = sniff_format(file.read(4096))
    if fmt is None:
        raise ValidationFailed(
            errors={
                field: [_("Only CSV or JSON text in UTF-8 is accepted; this file is binary or in another encoding.")]
            }
        )
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return CheckedImport(
        storage_name=f"{uuid.uuid4().hex}.{fmt}",
        original_name=clean_name(getattr(file, "name", "") or "import"),
        format=fmt,
        size=size,
        sha256=digest.hexdigest(),
    )


class FileRejected(Exception):
    """The file as a whole cannot be read as rows; `errors` say why."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def _decode(data: bytes) -> str:
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if b"\x00" in data:
        raise FileRejected([RowError(0, "", _("The file contains NUL bytes: it is not a text file."))])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            [RowError(0, "", _("The file is not valid UTF-8 (byte %(at)d); save it as UTF-8.") % {"at": exc.start + 1})]
        ) from None


def _check_header(kind: str, header: list[str]) -> None:
    expected = column_names(kind)
    required = [c.name for c in COLUMNS[kind] if c.required]
    errors = []
    seen = set()
    for name in header:
        if name in seen:
            errors.append(RowError(0, name, _("The column appears twice.")))
        seen.add(name)
    for name in header:
        if name not in expected:
            errors.append(
                RowError(0, name, _("Unknown column; the columns are: %(cols)s.") % {"cols": ", ".join(expected)})
            )
    for name in required:
        if name not in seen:
            errors.append(RowError(0, name, _("This required column is missing.")))
    if errors:
        raise FileRejected(errors)


Rows = list[tuple[int, dict[str, Any]]]


def read_rows(data: bytes, *, kind: str, fmt: str) -> tuple[Rows, list[RowError]]:
    """(row number, {column: value}) for every data row, and the errors of rows that are not even rows
    (wrong width, not an object, missing or unknown keys); raises FileRejected for a file that is not rows."""
    text = _decode(data)
    rows, errors = _read_json(text, kind) if fmt == ImportFormat.JSON else _read_csv(text, kind)
    if not rows and not errors:
        raise FileRejected([RowError(0, "", _("The file has no rows."))])
    if len(rows) + len(errors) > MAX_ROWS:
        raise FileRejected([RowError(0, "", _("The file has more than %(n)d rows; split it.") % {"n": MAX_ROWS})])
    return rows, errors


def _read_csv(text: str, kind: str) -> tuple[Rows, list[RowError]]:
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in some locales save with ";"; a header is never quoted-with-commas, so its line decides.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise FileRejected([RowError(1, "", _("The header line cannot be read: %(e)s") % {"e": exc})]) from None
    if not any(header):
        raise FileRejected([RowError(1, "", _("The first line must name the columns."))])
    _check_header(kind, header)
    rows: Rows = []
    errors: list[RowError] = []
    width = len(header)
    line = 1
    try:
        for cells in reader:
            line += 1
            if not cells or not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            if len(cells) != width:
                errors.append(
                    RowError(
                        line, "", _("The row has %(n)d cells; the header has %(w)d.") % {"n": len(cells), "w": width}
                    )
                )
                continue
            rows.append((line, dict(zip(header, cells, strict=True))))
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise FileRejected(
            [*errors, RowError(line + 1, "", _("The line cannot be read as CSV: %(e)s") % {"e": exc})]
        ) from None
    return rows, errors


def _read_json(text: str, kind: str) -> tuple[Rows, list[RowError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRejected(
            [RowError(0, "", _("The file is not valid JSON (line %(l)d): %(e)s") % {"l": exc.lineno, "e": exc.msg})]
        ) from None
    if not isinstance(data, list):
        raise FileRejected([RowError(0, "", _("A JSON import must be a list of objects, one per row."))])
    expected = set(column_names(kind))
    required = [c.name for c in COLUMNS[kind] if c.required]
    rows: Rows = []
    errors: list[RowError] = []
    for number, item in enumerate(data[: MAX_ROWS + 1], start=1):
        if not isinstance(item, dict):
            errors.append(RowError(number, "", _("Each row must be a JSON object.")))
            continue
        row_errors = [RowError(number, str(key)[:100], _("Unknown column.")) for key in set(item) - expected]
        row_errors += [
            RowError(number, key, _("This required column is missing.")) for key in required if key not in item
        ]
        if row_errors:
            errors += row_errors
        else:
            rows.append((number, item))
    return rows, errors
