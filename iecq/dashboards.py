"""The supervisory dashboard of one country (PL-05): reads only, every figure a GROUP BY in the database.

A supervisory body sees its own country; the operator chooses any. Each query starts from the rows the
principal may see (the visibility rule) and is then limited to the country the way a supervisory body's
jurisdiction is matched: the certification body's country or the manufacturer's. The figures are the
same in the page, the CSV downloads and the PDF, because all three read `dashboard_for`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from bodies.choices import CertificationBodyState
from bodies.models import CertificationBody
from certification.choices import CertificateState
from certification.models import Certificate
from sanctions.choices import NoticeKind
from sanctions.filters import AWAITING_RESPONSE
from sanctions.models import BulletinNotice, CorrectiveActionRequest
from surveillance.choices import OPEN_AUDIT_STATES
from surveillance.models import SurveillanceAudit

from .dates import add_months
from .errors import NotFound
from .principals import Principal
from .selectors import visible

SANCTION_MONTHS = 24
SANCTION_KINDS = (NoticeKind.SUSPENSION, NoticeKind.WITHDRAWAL)


@dataclass
class Table:
    """One block of figures: a header and rows of plain values, shown as a table and downloadable as CSV."""

    key: str
    title: str
    header: list[str]
    rows: list[list[object]]


@dataclass
class Dashboard:
    country: str
    country_name: str
    today: date
    tables: dict[str, Table] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    computed_at: datetime | None = None


def dashboard_country(principal: Principal, wanted: str | None) -> str:
    """The country whose figures `principal` may see: a supervisory body its own, the operator any it asks for."""
    if principal.is_supervisor and principal.country:
        return principal.country
    if principal.is_operator:
        code = (wanted or "").upper()
        if code in dict(countries):
            return code
        return ""
    raise NotFound()


def in_country(model: type[models.Model], country: str) -> Q:
    """Rows of `model` within `country`, along the same paths the visibility rule matches a supervisory body by.

    A path through a foreign key (`manufacturer__country`) is said as `manufacturer__in=<ids in the country>`
    rather than as a join: an OR of conditions on two joined tables cannot use an index and misleads the
    planner (a large country's certificates by status: 2.8 s as a join, 0.5 s as two id sets, at 1,000,000)."""
    q = Q(pk__in=[])
    for path in model.tenancy.country_paths:
        *through, last = path.split("__")
        if not through:
            q |= Q(**{path: country})
            continue
        related = model
        for part in through:
            related = related._meta.get_field(part).related_model
        ids = related._base_manager.filter(**{last: country}).values("pk")  # the outer query is already visible()
        q |= Q(**{f"{'__'.join(through)}__in": ids})
    return q


def _counts(qs: models.QuerySet, key: str) -> dict[object, int]:
    return {row[key]: row["n"] for row in qs.values(key).annotate(n=Count("pk")).order_by()}


def months_back(today: date, n: int) -> list[date]:
    """The first days of the last `n` months, oldest first, the current month last."""
    first = today.replace(day=1)
    return [add_months(first, -i) for i in range(n - 1, -1, -1)]


def dashboard_cached(principal: Principal, country: str) -> Dashboard:
    """`dashboard_for`, reused for IECQ_DASHBOARD_CACHE_SECONDS by whoever sees exactly the same rows.

    The largest country's figures take seconds at a million certificates (GROUP BYs over a third of the
    register under row-level security); the page, its CSV tables and its PDF are usually asked for one after
    the other. The key is everything the visibility rule reads of the principal, the country and the
    language (the tables carry translated labels), so a supervisory body never reads figures computed for
    another reader. The page says when the figures were computed."""
    seconds = settings.IECQ_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return dashboard_for(principal, country)
    reader = (principal.kind, principal.certification_body_id, principal.manufacturer_id, principal.country)
    identity = repr((reader, principal.organisation_id, country, get_language()))
    key = "dashboard:" + hashlib.sha256(identity.encode()).hexdigest()
    board = cache.get(key)
    if board is None:
        board = dashboard_for(principal, country)
        cache.set(key, board, seconds)
    return board


def dashboard_for(principal: Principal, country: str) -> Dashboard:
    """Every figure of the dashboard for `country`, as `principal` may see it (a handful of GROUP BY queries)."""
    now = timezone.now()
    today = now.date()
    board = Dashboard(
        country=country, country_name=str(dict(countries).get(country, country)), today=today, computed_at=now
    )
    cb_states = dict(CertificationBodyState.choices)
    cert_states = dict(CertificateState.choices)

    cbs = visible(CertificationBody, principal).filter(in_country(CertificationBody, country))
    certificates = visible(Certificate, principal).filter(in_country(Certificate, country))
    overdue_audits = (
        visible(SurveillanceAudit, principal)
        .filter(in_country(SurveillanceAudit, country))
        .filter(state__in=OPEN_AUDIT_STATES, due_on__lt=today)
    )
    overdue_cars = (
        visible(CorrectiveActionRequest, principal)
        .filter(in_country(CorrectiveActionRequest, country))
        .filter(state__in=AWAITING_RESPONSE, due_on__lt=today)
    )

    # Certification bodies: each with its state and its certificates in this country by status (one GROUP BY).
    per_cb = {}
    for row in certificates.values("certification_body_id", "state").annotate(n=Count("pk")).order_by():
        per_cb.setdefault(row["certification_body_id"], {})[row["state"]] = row["n"]
    audits_per_cb = _counts(overdue_audits, "certification_body_id")
    cars_per_cb = _counts(overdue_cars, "certification_body_id")
    cb_rows = []
    for cb in cbs.order_by("name").values("pk", "name", "state", "approval_valid_until"):
        figures = per_cb.get(cb["pk"], {})
        cb_rows.append(
            [
                cb["name"],
                str(cb_states.get(cb["state"], cb["state"])),
                cb["approval_valid_until"].isoformat() if cb["approval_valid_until"] else "",
                figures.get(CertificateState.VALID, 0),
                figures.get(CertificateState.SUSPENDED, 0),
                audits_per_cb.get(cb["pk"], 0),
                cars_per_cb.get(cb["pk"], 0),
            ]
        )
    board.tables["certification_bodies"] = Table(
        "certification_bodies",
        _("Certification bodies of %(country)s") % {"country": board.country_name},
        [
            _("Certification body"),
            _("State"),
            _("Approval valid until"),
            _("Valid certificates"),
            _("Suspended certificates"),
            _("Audits overdue"),
            _("CARs overdue"),
        ],
        cb_rows,
    )
    by_cb_state = _counts(cbs, "state")
    board.tables["cb_states"] = Table(
        "cb_states",
        _("Certification bodies by state"),
        [_("State"), _("Certification bodies")],
        [[str(label), by_cb_state.get(value, 0)] for value, label in CertificationBodyState.choices],
    )

    by_state = _counts(certificates, "state")
    board.tables["certificates_by_status"] = Table(
        "certificates_by_status",
        _("Certificates by status"),
        [_("Status"), _("Certificates")],
        [[str(label), by_state.get(value, 0)] for value, label in CertificateState.choices],
    )

    status_columns = {
        value: Count("pk", filter=Q(state=value)) for value in (CertificateState.VALID, CertificateState.SUSPENDED)
    }
    tech_rows = (
        certificates.values("technologies__name")
        .annotate(total=Count("pk"), **status_columns)
        .order_by("-total", "technologies__name")
    )
    board.tables["certificates_by_technology"] = Table(
        "certificates_by_technology",
        _("Certificates by technology"),
        [_("Technology"), _("All certificates"), str(cert_states["valid"]), str(cert_states["suspended"])],
        [
            [r["technologies__name"], r["total"], r[CertificateState.VALID], r[CertificateState.SUSPENDED]]
            for r in tech_rows
            if r["technologies__name"] is not None
        ],
    )

    # Overdue work of every CB active in the country, including foreign CBs certifying its manufacturers.
    names = dict(
        visible(CertificationBody, principal)
        .filter(pk__in=set(audits_per_cb) | set(cars_per_cb))
        .values_list("pk", "name")
    )
    overdue_rows = [
        [names.get(pk, _("(not visible)")), audits_per_cb.get(pk, 0), cars_per_cb.get(pk, 0)]
        for pk in set(audits_per_cb) | set(cars_per_cb)
    ]
    board.tables["overdue"] = Table(
        "overdue",
        _("Overdue audits and corrective action requests"),
        [_("Certification body"), _("Audits overdue"), _("CARs overdue")],
        sorted(overdue_rows, key=lambda r: (-(r[1] + r[2]), str(r[0]))),
    )
    board.totals = {
        "certification_bodies": sum(by_cb_state.values()),
        "certificates": sum(by_state.values()),
        "valid_certificates": by_state.get(CertificateState.VALID, 0),
        "audits_overdue": sum(audits_per_cb.values()),
        "cars_overdue": sum(cars_per_cb.values()),
    }

    months = months_back(today, SANCTION_MONTHS)
    notices = BulletinNotice.objects.visible_to(principal).filter(
        Q(certificate__certification_body__country=country)
        | Q(certificate__manufacturer__country=country)
        | Q(certificate__isnull=True, subject_certification_body__country=country),
        kind__in=SANCTION_KINDS,
        published_at__gte=datetime.combine(months[0], time.min, tzinfo=UTC),
    )
    per_month: dict[tuple[date, str], int] = {}
    for row in (
        notices.annotate(month=TruncMonth("published_at")).values("month", "kind").annotate(n=Count("pk")).order_by()
    ):
        per_month[(row["month"].date(), row["kind"])] = row["n"]
    board.tables["sanctions_per_month"] = Table(
        "sanctions_per_month",
        _("Suspensions and withdrawals per month, last %(n)s months") % {"n": SANCTION_MONTHS},
        [_("Month"), _("Suspensions"), _("Withdrawals")],
        [
            [
                f"{month:%Y-%m}",
                per_month.get((month, NoticeKind.SUSPENSION), 0),
                per_month.get((month, NoticeKind.WITHDRAWAL), 0),
            ]
            for month in months
        ],
    )
    return board
