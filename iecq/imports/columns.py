"""The columns each kind of import expects, and the downloadable templates built from them."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from iecq.dates import add_years

from .choices import ImportFormat, ImportKind


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    example: str
    is_list: bool = False  # several values: separated by ";" in CSV, a list of strings (or ";") in JSON


COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportKind.MANUFACTURERS: (
        Column("name", True, _("Trading name, unique per country."), "Northwind Passives"),
        Column("country", True, _("ISO 3166 two-letter country code."), "GB"),
        Column("legal_name", False, _("Legal entity."), "Northwind Passives Ltd"),
        Column("website", False, _("http(s) address."), "https://northwind.example"),
        Column("email", False, _("Contact email."), "quality@northwind.example"),
    ),
    ImportKind.CERTIFICATES: (
        Column("number", True, _("Certificate number from the legacy register; must be free."), "LEG-2024-0001"),
        Column(
            "manufacturer", True, _("Holder's name: a manufacturer that is a client of your CB."), "Northwind Passives"
        ),
        Column("manufacturer_country", True, _("Holder's country (ISO 3166 two-letter code)."), "GB"),
        Column("scheme", True, _("Scheme code, e.g. ac."), "ac"),
        Column("technologies", True, _("Technology codes inside your CB's scope."), "capacitors", is_list=True),
        Column("component_types", True, _("Certified component types."), "MLCC 0402-1206"),
        Column("specifications", False, _("Specifications."), "IEC 60384-1"),
        Column("sites", False, _("Names of the holder's registered sites."), "", is_list=True),
        Column("issued_on", True, _("Date first issued (YYYY-MM-DD)."), "2024-03-01"),
        Column("period_start", False, _("Start of the current period; default: three years before expiry."), ""),
        Column("expires_on", False, _("Expiry date, in the future; default: three years after issue."), "2027-03-01"),
        Column("next_audit_due", False, _("Next surveillance audit due; default: in 12 months."), ""),
    ),
}


def column_names(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind]]


def template_content(kind: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a template with every column and one example row."""
    columns = COLUMNS[kind]
    examples = {c.name: c.example for c in columns}
    if kind == ImportKind.CERTIFICATES:  # dates of a certificate in force on the day the template is fetched
        issued = timezone.now().date() - timedelta(days=365)
        examples.update(issued_on=issued.isoformat(), expires_on=add_years(issued, 3).isoformat())
    if fmt == ImportFormat.JSON:
        example = {
            c.name: ([examples[c.name]] if examples[c.name] else []) if c.is_list else examples[c.name] for c in columns
        }
        return (
            json.dumps([example], indent=2, ensure_ascii=False).encode() + b"\n",
            "application/json",
            f"iecq-{kind}-template.json",
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    writer.writerow([examples[c.name] for c in columns])
    return out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"iecq-{kind}-template.csv"
