"""What every portal list shares: search over declared fields, whitelisted sorting and CSV export (PL-06).

The CSV export streams the same rows the page shows (same visibility, filters, search and sort), every
row rather than one page, with each cell neutralised so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format

# A spreadsheet treats a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
EXPORT_CHUNK = 2000


def neutralise(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character is escaped with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def lookup(path: str) -> str:
    """A column's dotted attribute path as an ORM lookup (`manufacturer.name` → `manufacturer__name`)."""
    return path.replace(".", "__")


def model_field(model: type[models.Model], path: str) -> models.Field | None:
    """The field a dotted column path ends on, following forward relations; None for annotations and methods."""
    current = model
    field = None
    for part in path.split("."):
        try:
            field = current._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return None
        if field.is_relation:
            if field.many_to_many or field.one_to_many or field.related_model is None:
                return None
            current = field.related_model
    return field


def searchable_columns(model: type[models.Model], columns: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The columns whose values are free text (names, numbers, references): what `?q=` searches by default."""
    found = []
    for path, _label in columns:
        field = model_field(model, path)
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            found.append(lookup(path))
    return tuple(found)


def search_q(fields: Iterable[str], text: str) -> Q:
    """Every word of `text` must appear in one of `fields` (case-insensitive)."""
    q = Q()
    for word in text.split()[:8]:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        q &= any_field
    return q


def cell_text(obj: object, path: str) -> str:
    """The value a CSV cell holds: choices as their label, dates in ISO form, nothing as an empty cell."""
    value = obj
    for part in path.split("."):
        if value is None:
            return ""
        display = getattr(value, f"get_{part}_display", None)
        value = display() if callable(display) else getattr(value, part, "")
        if callable(value):
            value = value()
    if value is None or value == "—":
        return ""
    if isinstance(value, datetime):
        return date_format(value, "Y-m-d H:i") + " UTC"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


class _Echo:
    """A file-like object whose write returns what it was given, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_rows(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """The CSV text, line by line, with a byte order mark so spreadsheets read UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        yield writer.writerow(row)
