"""Row-by-row validation of an import, with the database checks done set-based (one query per chunk, not per row).

Each validator answers, for the whole file, the rows ready to write and every error found: a row with
several problems reports each of them, and no row stops the check of the others. The rules are those of
the per-record services (manufacturers.services.manufacturer_create, certification.services), stated once
here for many rows at a time; docs/imports.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from bodies.models import CertificationBody, Scheme, Technology
from certification.models import Certificate
from iecq.dates import add_months, add_years
from iecq.principals import Principal
from iecq.selectors import visible
from manufacturers.models import Manufacturer, Site

from .columns import COLUMNS
from .parsing import RowError, Rows

CHUNK = 5000  # rows per database lookup and per progress report
FORMULA_START = ("=", "+", "-", "@")
NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,39}$")
# The form of numbers the platform allocates itself (certification.services._allocate_number).
OWN_NUMBER_RE = re.compile(r"^IECQ-([A-Z0-9-]+)-([A-Z]{2})(\d{3,})-(\d+)$")
NUMERIC_RE = re.compile(r"^[+-]?\d+([.,]\d+)?$")

Progress = Callable[[int], None]


@dataclass
class Outcome:
    """What validation found: rows ready to write (row number, clean values) and every error."""

    ready: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


class RowChecker:
    """Cleans one row's cells, collecting every problem of the row."""

    def __init__(self, number: int, raw: dict[str, Any], errors: list[RowError]):
        self.number, self.raw, self.errors, self.failed = number, raw, errors, False

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))
        self.failed = True

    def _clean(self, column: str, value: str) -> str | None:
        value = value.strip()
        if value.startswith(FORMULA_START) and not NUMERIC_RE.match(value):
            # CSV injection: a cell a spreadsheet would run as a formula is refused, never stored.
            self.error(
                column, _("The cell starts with “%(c)s”, as a spreadsheet formula does; remove it.") % {"c": value[0]}
            )
            return None
        if any(not ch.isprintable() for ch in value):
            self.error(column, _("The cell contains control characters (tabs, line breaks or others)."))
            return None
        if len(value) > 4000:
            self.error(column, _("The cell is longer than 4000 characters."))
            return None
        return value

    def text(self, column: str, *, required: bool = False, max_length: int = 4000) -> str:
        value = self.raw.get(column, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.error(column, _("Give this value as text."))
            return ""
        cleaned = self._clean(column, value)
        if cleaned is None:
            return ""
        if required and not cleaned:
            self.error(column, _("This value is required."))
        elif len(cleaned) > max_length:
            self.error(column, _("At most %(n)d characters.") % {"n": max_length})
        return cleaned

    def items(self, column: str, *, required: bool = False) -> list[str]:
        value = self.raw.get(column, "")
        if value is None:
            value = ""
        parts = value if isinstance(value, list) else value.split(";") if isinstance(value, str) else None
        if parts is None or not all(isinstance(p, str) for p in parts):
            self.error(column, _("Give a list of codes or names (separated by ; in CSV)."))
            return []
        out = []
        for part in parts:
            cleaned = self._clean(column, part)
            if cleaned is None:
                return []
            if cleaned and cleaned not in out:
                out.append(cleaned)
        if required and not out:
            self.error(column, _("This value is required."))
        return out

    def day(self, column: str, *, required: bool = False) -> date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.error(column, _("Write the date as YYYY-MM-DD."))
            return None


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _sorted(errors: list[RowError], kind: str) -> list[RowError]:
    order = {c.name: i for i, c in enumerate(COLUMNS[kind])}
    return sorted(errors, key=lambda e: (e.row, order.get(e.column, -1)))


# --- manufacturers ----------------------------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])
_email = EmailValidator()
COUNTRY_CODES = frozenset(code for code, _name in countries)


def validate_manufacturers(rows: Rows, *, actor: Principal, progress: Progress) -> Outcome:
    """The rules of manufacturer_create for every row, duplicates in the file and in the register included."""
    out = Outcome()
    first_seen: dict[tuple[str, str], int] = {}
    checked: list[tuple[int, dict[str, Any], RowChecker]] = []
    for index, (number, raw) in enumerate(rows, start=1):
        row = RowChecker(number, raw, out.errors)
        name = row.text("name", required=True, max_length=200)
        country = row.text("country", required=True).upper()
        if country and country not in COUNTRY_CODES:
            row.error("country", _("Not an ISO 3166 two-letter country code."))
        legal_name = row.text("legal_name", max_length=200)
        website = row.text("website", max_length=200)
        if website:
            try:
                _url(website)
            except ValidationError:
                row.error("website", _("Not a valid http(s) address."))
        email = row.text("email", max_length=254)
        if email:
            try:
                _email(email)
            except ValidationError:
                row.error("email", _("Not a valid email address."))
        key = (name.casefold(), country)
        if name and key in first_seen:
            row.error("name", _("The same manufacturer is already on row %(n)d.") % {"n": first_seen[key]})
        elif name:
            first_seen[key] = number
        clean = {"name": name, "country": country, "legal_name": legal_name, "website": website, "email": email}
        checked.append((number, clean, row))
        if index % CHUNK == 0:
            progress(index)
    taken = set()
    names = sorted({clean["name"].casefold() for _n, clean, _r in checked if clean["name"]})
    for chunk in _chunks(names):
        taken |= {
            (n.casefold(), c)
            for n, c in Manufacturer._base_manager.annotate(lname=Lower("name"))
            .filter(lname__in=chunk)
            .values_list("name", "country")
        }
    for number, clean, row in checked:
        if (clean["name"].casefold(), clean["country"]) in taken:
            row.error("name", _("A manufacturer with this name is already registered in this country."))
        if not row.failed:
            out.ready.append((number, clean))
    out.errors = _sorted(out.errors, "manufacturers")
    progress(len(rows))
    return out


# --- certificates -----------------------------------------------------------------------------------------


def cb_may_import_certificates(cb: CertificationBody) -> list[str]:
    """Imported certificates enter the public register as valid: the CB must be allowed to certify now (CB-01)."""
    return [str(r) for r in cb.may_certify()]


def validate_certificates(rows: Rows, *, actor: Principal, cb: CertificationBody, progress: Progress) -> Outcome:
    """Every rule of certificate_import for every row: a free number, a holder that is a client of this CB, known
    scheme and technologies inside the CB's scope (CB-02), the holder's own sites, coherent dates in force."""
    out = Outcome()
    today = timezone.now().date()
    years = settings.IECQ_CERTIFICATE_YEARS
    schemes = {s.code.casefold(): s for s in Scheme.objects.all()}
    technologies = {t.code.casefold(): t for t in Technology.objects.all()}
    in_scope = set(cb.technologies.values_list("pk", flat=True))
    own_prefix = (cb.country.code, cb.pk)
    first_seen: dict[str, int] = {}
    parsed: list[tuple[int, dict[str, Any], RowChecker]] = []
    for index, (number, raw) in enumerate(rows, start=1):
        row = RowChecker(number, raw, out.errors)
        cert_number = row.text("number", required=True)
        if cert_number and not NUMBER_RE.match(cert_number):
            row.error("number", _("1 to 40 letters, digits and . / _ -, starting with a letter or digit."))
            cert_number = ""
        elif cert_number:
            match = OWN_NUMBER_RE.match(cert_number)
            if match and (match.group(2), int(match.group(3))) != own_prefix:
                row.error("number", _("Numbers of this form are allocated here to another certification body."))
            if cert_number in first_seen:
                row.error("number", _("The same number is already on row %(n)d.") % {"n": first_seen[cert_number]})
            else:
                first_seen[cert_number] = number
        holder = row.text("manufacturer", required=True, max_length=200)
        holder_country = row.text("manufacturer_country", required=True).upper()
        scheme_code = row.text("scheme", required=True)
        scheme = schemes.get(scheme_code.casefold())
        if scheme_code and scheme is None:
            row.error("scheme", _("Unknown scheme code."))
        techs = []
        for code in row.items("technologies", required=True):
            tech = technologies.get(code.casefold())
            if tech is None:
                row.error("technologies", _("Unknown technology code “%(code)s”.") % {"code": code})
            elif tech.pk not in in_scope:
                row.error("technologies", _("CB-02: %(t)s is outside your CB's scope.") % {"t": tech})
            else:
                techs.append(tech.pk)
        component_types = row.text("component_types", required=True)
        specifications = row.text("specifications")
        sites = row.items("sites")
        issued_on = row.day("issued_on", required=True)
        expires_on = row.day("expires_on")
        period_start = row.day("period_start")
        next_audit_due = row.day("next_audit_due")
        if issued_on is not None:
            if issued_on > today:
                row.error("issued_on", _("The issue date cannot be in the future."))
            expires_on = expires_on or add_years(issued_on, years)
            if expires_on <= issued_on:
                row.error("expires_on", _("The expiry date must come after the issue date."))
            elif expires_on < today:
                row.error("expires_on", _("The certificate has expired; only certificates in force are imported."))
            period_start = period_start or max(issued_on, add_years(expires_on, -years))
            if not issued_on <= period_start < expires_on:
                row.error("period_start", _("The period starts between the issue date and the expiry date."))
        # Every row goes on to the register checks, so that each of its errors is reported.
        clean = {
            "number": cert_number,
            "holder": (holder.casefold(), holder_country),
            "scheme": scheme,
            "technologies": techs,
            "component_types": component_types,
            "specifications": specifications,
            "sites": sites,
            "issued_on": issued_on,
            "period_start": period_start,
            "expires_on": expires_on,
            "next_audit_due": next_audit_due
            or (min(add_months(today, settings.IECQ_SURVEILLANCE_NORMAL_MONTHS), expires_on) if expires_on else None),
        }
        parsed.append((number, clean, row))
        if index % CHUNK == 0:
            progress(index)
    # The register, set-based: numbers already taken, holders that are clients of this CB, their sites.
    taken: set[str] = set()
    numbers = [clean["number"] for _n, clean, _r in parsed if clean["number"]]
    for chunk in _chunks(numbers):
        taken |= set(Certificate._base_manager.filter(number__in=chunk).values_list("number", flat=True))
    holder_names = {clean["holder"][0] for _n, clean, _r in parsed}
    clients: dict[tuple[str, str], Manufacturer] = {}
    for chunk in _chunks(sorted(holder_names)):
        for m in visible(Manufacturer, actor).annotate(lname=Lower("name")).filter(lname__in=chunk):
            clients[(m.lname, m.country.code)] = m
    site_ids: dict[tuple[int, str], int] = {}
    holder_ids = sorted({m.pk for m in clients.values()})
    for chunk in _chunks(holder_ids):
        for pk, manufacturer_id, name in Site._base_manager.filter(manufacturer_id__in=chunk).values_list(
            "pk", "manufacturer_id", "name"
        ):
            site_ids[(manufacturer_id, name.casefold())] = pk
    for number, clean, row in parsed:
        if clean["number"] in taken:
            row.error("number", _("A certificate with this number already exists."))
        holder = clients.get(clean["holder"])
        if holder is None and all(clean["holder"]):
            row.error(
                "manufacturer",
                _(
                    "No client of your certification body has this name in this country; import the manufacturer "
                    "first (a manufacturer registered with another CB becomes your client through an application)."
                ),
            )
        elif holder is not None:
            clean["manufacturer"] = holder
            clean["site_ids"] = []
            for name in clean["sites"]:
                site = site_ids.get((holder.pk, name.casefold()))
                if site is None:
                    row.error("sites", _("“%(s)s” is not a registered site of the holder.") % {"s": name})
                else:
                    clean["site_ids"].append(site)
        if not row.failed:
            out.ready.append((number, clean))
    out.errors = _sorted(out.errors, "certificates")
    progress(len(rows))
    return out
