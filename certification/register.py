"""The public certificate register (CE-04, CE-05).

Certificates are private records of their CB and manufacturer; the register is an explicit,
read-only crossing of tenants that exposes only the public fields below, computed inside its own
system scope so that nothing else can leak through related managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from iecq.models import TransitionLog
from iecq.principals import system_principal
from iecq.tenancy import scope

from .choices import CertificateState
from .models import Certificate
from .register_labels import status_label

REGISTER = system_principal("public certificate register")
PAGE_SIZE = 25


@dataclass(frozen=True)
class RegisterQuery:
    number: str = ""
    manufacturer: str = ""
    technology: str = ""  # technology code
    certification_body: str = ""  # CB name (or part of it)
    country: str = ""  # ISO code of the manufacturer's country
    status: str = ""


def public_record(cert: Certificate, *, status_since: date | None = None) -> dict:
    """What anybody may know of a certificate, and what the signed answer carries."""
    values = {field: _follow(cert, field) for field in _ENTRY_FIELDS}
    values["technology_names"] = [t.name for t in cert.technologies.all()]
    values["site_lines"] = [f"{s.name}, {s.city}, {s.country.code}" for s in cert.sites.all()]
    return _record(values, status_since=status_since)


def _follow(cert: Certificate, path: str):
    value = cert
    for part in path.split("__"):
        value = getattr(value, part)
    return getattr(value, "code", value)  # a country is its ISO code


def _record(values: dict, *, status_since: date | None) -> dict:
    now = timezone.now()
    today = now.date()
    state = values["state"]
    return {
        "number": values["number"],
        "status": state,
        "status_label": status_label(state),
        "status_since": (status_since or values["period_start"]).isoformat(),
        "mark_allowed": state == CertificateState.VALID and values["expires_on"] >= today,
        "scheme": values["scheme__name"],
        "manufacturer": {"name": values["manufacturer__name"], "country": str(values["manufacturer__country"])},
        "certification_body": {
            "name": values["certification_body__name"],
            "country": str(values["certification_body__country"]),
        },
        "technologies": sorted(values["technology_names"] or []),
        "component_types": values["component_types"],
        "specifications": values["specifications"],
        "sites": sorted(values["site_lines"] or []),
        "issued_on": values["issued_on"].isoformat(),
        "period_start": values["period_start"].isoformat(),
        "expires_on": values["expires_on"].isoformat(),
        "revision": values["revision"],
        "checked_at": now.replace(microsecond=0).isoformat(),
    }


def _base():
    return Certificate.objects.select_related("manufacturer", "certification_body", "scheme").prefetch_related(
        "technologies", "sites"
    )


def register_search(query: RegisterQuery, *, page: int | str | None = 1) -> tuple[list[dict], object]:
    """One page of matching certificates as public records, and the page object for navigation."""
    with scope(REGISTER):
        qs = _base()
        if query.number:
            qs = qs.filter(number__icontains=query.number.strip())
        if query.manufacturer:
            qs = qs.filter(manufacturer__name__icontains=query.manufacturer.strip())
        if query.technology:
            qs = qs.filter(technologies__code=query.technology)
        if query.certification_body:
            qs = qs.filter(certification_body__name__icontains=query.certification_body.strip())
        if query.country:
            qs = qs.filter(Q(manufacturer__country=query.country.upper()))
        if query.status in CertificateState.values:
            qs = qs.filter(state=query.status)
        page_obj = Paginator(qs.distinct().order_by("number"), PAGE_SIZE).get_page(page)
        records = [public_record(cert) for cert in page_obj.object_list]
    return records, page_obj


_ENTRY_FIELDS = (
    "number",
    "state",
    "period_start",
    "expires_on",
    "issued_on",
    "revision",
    "component_types",
    "specifications",
    "scheme__name",
    "manufacturer__name",
    "manufacturer__country",
    "certification_body__name",
    "certification_body__country",
)
_NUMBER_SLOT = "\x00number\x00"


def _last_change() -> Subquery:
    """When the certificate's status last changed (recertification and transfer keep the status)."""
    return Subquery(
        TransitionLog.objects.filter(
            content_type__app_label="certification", content_type__model="certificate", object_id=OuterRef("pk")
        )
        .filter(field="state")
        .exclude(source=F("target"))
        .order_by("-at")
        .values("at")[:1]
    )


def _entry_queryset(number: str):
    """One certificate's public fields, its technologies, sites and last status change, in one PostgreSQL query."""
    through_technology = Certificate.technologies.through.objects.filter(certificate_id=OuterRef("pk"))
    through_site = Certificate.sites.through.objects.filter(certificate_id=OuterRef("pk"))
    site_line = Concat("site__name", Value(", "), "site__city", Value(", "), "site__country", output_field=CharField())
    return (
        Certificate.objects.filter(number=number)
        .annotate(
            last_change=_last_change(),
            technology_names=ArraySubquery(through_technology.values("technology__name")),
            site_lines=ArraySubquery(through_site.annotate(line=site_line).values("line")),
        )
        .values(*_ENTRY_FIELDS, "last_change", "technology_names", "site_lines")
        .order_by()
    )


ENTRY_FUNCTION = "iecq_register_entry"
_ENTRY_CALL = "SELECT * FROM iecq_register_entry(%s)"


def entry_function_statements(connection) -> list[str]:
    """The DDL of `iecq_register_entry(number)`: `_entry_queryset` as compiled by Django, in a function of the tables'
    owner that returns the row as JSON.

    Verification reads it through `iecq_register_visit` when no page is stored (`register_cache`). As the
    application's role, the same statement passed the row-level policy of each of the seven tables it reads, a
    third of its time; the owner's function is not policed, and it can only ever return the public fields of the
    one certificate whose exact number it is given, which is what the register shows anybody (CE-04). PL/pgSQL
    keeps the statement's plan for the session (planning it cost more than running it), and the row arrives as
    one JSON value, decoded by psycopg2 in C. Re-created from the model after every `migrate` (`install`)."""
    from psycopg2.extensions import AsIs

    with scope(REGISTER):  # the system scope's visibility filter is empty: nothing of a request is compiled in
        sql, params = _entry_queryset(_NUMBER_SLOT).query.sql_with_params()
    with connection.cursor() as cursor:
        body = cursor.mogrify(sql, [AsIs("p_number") if p == _NUMBER_SLOT else p for p in params]).decode()
    query = f"SELECT row_to_json(entry) FROM ({body}) AS entry"  # noqa: S608 (Django's SQL, values quoted by psycopg2)
    return [
        f"CREATE OR REPLACE FUNCTION {ENTRY_FUNCTION}(p_number text) RETURNS SETOF json LANGUAGE plpgsql STABLE "
        f"SECURITY DEFINER SET search_path = public AS $register$ BEGIN RETURN QUERY {query}; END $register$"
    ]


def install(using: str = "default") -> None:
    """Create or replace the entry function; where its statement changed (a model's change), the entries and pages
    kept from the old one are deleted (certification/register_cache.py): they are computed again at their visits,
    and by the beat task."""
    from .models import RegisterEntry, RegisterPage

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    source = "SELECT p.prosrc FROM pg_proc p WHERE p.proname = %s"
    with connection.cursor() as cursor:
        cursor.execute(source, [ENTRY_FUNCTION])
        before = cursor.fetchall()
        for statement in entry_function_statements(connection):
            cursor.execute(statement)
        cursor.execute(source, [ENTRY_FUNCTION])
        kept = [m._meta.db_table for m in (RegisterEntry, RegisterPage)]
        if before and cursor.fetchall() != before and set(kept) <= set(connection.introspection.table_names(cursor)):
            cursor.execute(f"TRUNCATE {', '.join(kept)}")


def on_post_migrate(sender, using="default", **kwargs) -> None:
    install(using)


def record_from_entry(values: dict) -> dict:
    """The public record from the row `iecq_register_entry` gives as JSON (dates as ISO text, the time of the last
    status change in UTC, the session's zone)."""
    for field in ("period_start", "expires_on", "issued_on"):
        values[field] = date.fromisoformat(values[field])
    last_change = values["last_change"]
    return _record(values, status_since=date.fromisoformat(last_change[:10]) if last_change else None)


def register_entry(number: str) -> dict | None:
    """The public record of one certificate by its exact number, or None.

    On PostgreSQL one call of the owner's function (`entry_function_statements`); elsewhere (SQLite, `make run`
    without PostgreSQL) the same query through the ORM."""
    number = number.strip()
    if "\x00" in number:  # no number holds one, and PostgreSQL refuses it in a parameter
        return None
    connection = connections[router.db_for_read(Certificate)]
    with scope(REGISTER):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_ENTRY_CALL, [number])
                row = cursor.fetchone()
            return None if row is None else record_from_entry(row[0])
        cert = _base().annotate(last_change=_last_change()).filter(number=number).first()
        if cert is None:
            return None
        status_since = cert.last_change
        if isinstance(status_since, str):  # SQLite returns the subquery's datetime as text
            status_since = datetime.fromisoformat(status_since)
        return public_record(cert, status_since=status_since.date() if status_since else None)
