"""The public certificate register (CE-04, CE-05).

Certificates are private records of their CB and manufacturer; the register is an explicit,
read-only crossing of tenants that exposes only the public fields below, computed inside its own
system scope so that nothing else can leak through related managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from iecq.models import TransitionLog
from iecq.principals import system_principal
from iecq.tenancy import scope

from .choices import CertificateState
from .models import Certificate

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
    today = timezone.now().date()
    valid = cert.state == CertificateState.VALID and cert.expires_on >= today
    return {
        "number": cert.number,
        "status": cert.state,
        "status_label": str(cert.get_state_display()),
        "status_since": (status_since or cert.period_start).isoformat(),
        "mark_allowed": valid,
        "scheme": cert.scheme.name,
        "manufacturer": {"name": cert.manufacturer.name, "country": cert.manufacturer.country.code},
        "certification_body": {"name": cert.certification_body.name, "country": cert.certification_body.country.code},
        "technologies": sorted(
            cert.technology_names if hasattr(cert, "technology_names") else (t.name for t in cert.technologies.all())
        ),
        "component_types": cert.component_types,
        "specifications": cert.specifications,
        "sites": sorted(
            cert.site_lines
            if hasattr(cert, "site_lines")
            else (f"{s.name}, {s.city}, {s.country.code}" for s in cert.sites.all())
        ),
        "issued_on": cert.issued_on.isoformat(),
        "period_start": cert.period_start.isoformat(),
        "expires_on": cert.expires_on.isoformat(),
        "revision": cert.revision,
        "checked_at": timezone.now().replace(microsecond=0).isoformat(),
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


def register_entry(number: str) -> dict | None:
    """The public record of one certificate by its exact number, or None.

    Verification's first visit to a certificate (later ones are served by `register_cache`): on PostgreSQL
    one query, its technologies, sites and last status change read by subqueries beside the row."""
    with scope(REGISTER):
        last_change = (
            TransitionLog.objects.filter(
                content_type=ContentType.objects.get_for_model(Certificate),
                object_id=OuterRef("pk"),
                field="state",
            )
            .exclude(source=F("target"))  # recertification and transfer keep the status
            .order_by("-at")
            .values("at")[:1]
        )
        qs = Certificate.objects.select_related("manufacturer", "certification_body", "scheme").filter(
            number=number.strip()
        )
        if connection.vendor != "postgresql":  # SQLite (make run without PostgreSQL): the same, in four queries
            cert = qs.prefetch_related("technologies", "sites").annotate(last_change=Subquery(last_change)).first()
        else:
            through_technology = Certificate.technologies.through.objects.filter(certificate_id=OuterRef("pk"))
            through_site = Certificate.sites.through.objects.filter(certificate_id=OuterRef("pk"))
            site_line = Concat(
                "site__name", Value(", "), "site__city", Value(", "), "site__country", output_field=CharField()
            )
            cert = qs.annotate(
                last_change=Subquery(last_change),
                technology_names=ArraySubquery(through_technology.values("technology__name")),
                site_lines=ArraySubquery(through_site.annotate(line=site_line).values("line")),
            ).first()
        if cert is None:
            return None
        status_since = cert.last_change
        if isinstance(status_since, str):  # SQLite returns the subquery's datetime as text
            status_since = datetime.fromisoformat(status_since)
        return public_record(cert, status_since=status_since.date() if status_since else None)
