"""A national-scale data set, written with COPY (`manage.py seed_scale`).

One save per row would take hours at a million certificates; here each table is generated as
PostgreSQL text-format COPY data in memory, a chunk at a time, and streamed with psycopg2's
`copy_expert`. Primary keys are allocated here (after the table's current maximum) so that the
foreign keys are known without reading anything back; the sequences are reset afterwards and
the tables ANALYZEd. Rows satisfy the models' constraints (unique numbers, one open periodic audit
per certificate) and the tenant fields (the CB of a certificate is one the manufacturer is engaged
with; the transition log carries the owning CB, manufacturer and country). Columns a row does not
name take the model field's default, `now` for auto timestamps, or NULL.
"""

from __future__ import annotations

import io
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from bodies.models import AccreditationBody, CertificationBody, ProficiencyRound, Scheme, SupervisoryBody, Technology
from certification.choices import CertificateState
from certification.models import Certificate
from iecq.models import Membership, Organisation, TransitionLog, User
from iecq.roles import OrganisationKind, Role
from manufacturers.models import ContactListing, Engagement, Manufacturer, Site, SiteListing
from sanctions.choices import CARState, NoticeKind
from sanctions.models import BulletinNotice, CorrectiveActionRequest, NoticeSequence
from surveillance.choices import AuditKind, AuditState, Grade, NonconformityState
from surveillance.models import Nonconformity, SurveillanceAudit

from .scale_extra import seed_extra

CHUNK_ROWS = 50_000
SCALE_PASSWORD = "iecq-scale-2026"

# Where component manufacturers are, roughly (weights, not statistics).
MANUFACTURER_COUNTRIES = {
    "CN": 30, "TW": 10, "JP": 10, "US": 9, "KR": 7, "DE": 6, "MY": 4, "IN": 4, "VN": 3, "TH": 3,
    "PH": 2, "GB": 2, "FR": 2, "IT": 2, "MX": 2, "CZ": 1, "HU": 1, "PL": 1, "SG": 1,
}  # fmt: skip
CB_COUNTRIES = {"CN": 20, "JP": 12, "US": 10, "KR": 8, "DE": 8, "TW": 8, "GB": 6, "FR": 5, "IN": 5, "IT": 4}
# Certificate status mix: most valid; the register must also show suspended, withdrawn and expired ones.
CERTIFICATE_STATES = {
    CertificateState.VALID: 78,
    CertificateState.SUSPENDED: 4,
    CertificateState.WITHDRAWN: 6,
    CertificateState.EXPIRED: 12,
}
TECHNOLOGIES = [
    ("capacitors", "Capacitors"),
    ("resistors", "Resistors"),
    ("inductors-magnetics", "Inductors and magnetic components"),
    ("discrete-semiconductors", "Discrete semiconductors"),
    ("integrated-circuits", "Integrated circuits"),
    ("optoelectronics", "Optoelectronic components"),
    ("electromechanical", "Connectors and electromechanical components"),
    ("printed-boards", "Printed boards"),
    ("sensors", "Sensors"),
]
SCHEMES = [
    ("ac", "IECQ Approved Component (IECQ AC)", "IECQ OD 3002", "3.0"),
    ("ac-aqp", "IECQ Approved Component – Automotive Qualification Programme (IECQ AC-AQP)", "IECQ OD 3301", "2.0"),
    ("ap", "IECQ Approved Process (IECQ AP)", "IECQ OD 3003", "2.0"),
    ("hspm", "IECQ Hazardous Substance Process Management (IECQ HSPM)", "IECQ QC 080000", "4.0"),
]
SCHEME_WEIGHTS = [55, 15, 20, 10]
COMPONENT_TYPES = [
    "Multilayer ceramic chip capacitors",
    "Aluminium electrolytic capacitors",
    "Thick-film chip resistors",
    "Power inductors",
    "Schottky diodes",
    "MOSFETs",
    "Microcontrollers",
    "LED emitters",
    "Board-to-board connectors",
    "Rigid multilayer printed boards",
    "MEMS pressure sensors",
]
REQUIREMENTS = ["IECQ QC 080000 4.2", "ISO 9001 7.1.5", "ISO 9001 8.5.1", "IECQ OD 3002 5.3", "ISO 9001 10.2"]


def _weighted(rng: random.Random, weights: dict, k: int) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def _text(value: object) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    s = str(value)
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


@dataclass
class Table:
    """COPY into one model's table: the columns each row names, the others filled from the model once."""

    model: type[models.Model]
    columns: Sequence[str]  # attnames, in the order rows give them
    now: datetime
    rows_written: int = 0
    seconds: float = 0.0
    _suffix: str = field(default="", init=False)
    _copy_sql: str = field(default="", init=False)

    def __post_init__(self) -> None:
        given = set(self.columns)
        rest, values = [], []
        for f in self.model._meta.concrete_fields:
            if f.attname in given or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            rest.append(f.column)
            values.append(_text(self._default(f)))
        by_attname = {f.attname: f.column for f in self.model._meta.concrete_fields}
        cols = [by_attname[a] for a in self.columns] + rest
        self._suffix = ("\t" + "\t".join(values)) if values else ""
        quoted = ", ".join(f'"{c}"' for c in cols)
        self._copy_sql = f'COPY "{self.model._meta.db_table}" ({quoted}) FROM STDIN'

    def _default(self, f: models.Field) -> object:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return self.now.isoformat()
        if f.has_default():
            return f.get_default()
        if f.null:
            return None
        if f.blank and isinstance(f, (models.CharField, models.TextField)):
            return ""
        raise ValueError(f"{self.model.__name__}.{f.name} needs a value in the scale data set")

    def copy(self, rows: Iterable[Sequence[object]]) -> int:
        """Stream `rows` into the table in chunks; returns how many were written."""
        started = time.perf_counter()
        buffer, count = [], 0
        suffix = self._suffix
        with connection.cursor() as cur:
            raw = cur.cursor  # psycopg2's cursor, for copy_expert

            def flush() -> None:
                raw.copy_expert(self._copy_sql, io.StringIO("".join(buffer)))
                buffer.clear()

            for row in rows:
                buffer.append("\t".join([_text(v) for v in row]) + suffix + "\n")
                count += 1
                if len(buffer) >= CHUNK_ROWS:
                    flush()
            if buffer:
                flush()
        self.rows_written += count
        self.seconds += time.perf_counter() - started
        return count


def _next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cur:
        cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')  # noqa: S608 (a model's table)
        return cur.fetchone()[0]


def _m2m(model: type[models.Model], name: str) -> type[models.Model]:
    return model._meta.get_field(name).remote_field.through


def reset_sequences(tables: Iterable[type[models.Model]]) -> None:
    with connection.cursor() as cur:
        for model in tables:
            t = model._meta.db_table
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{t}\"), 1))"  # noqa: S608
            )


@dataclass
class ScaleReport:
    certificates: int
    seconds: float = 0.0
    tables: dict[str, tuple[int, float]] = field(default_factory=dict)


def seed_scale(
    certificates: int, *, seed: int = 2026, due_soon: int | None = None, log: Callable[[str], None] = lambda s: None
) -> ScaleReport:
    """Add `certificates` certificates (and their world) to the database, as a sweep left it.

    Steady state: what is overdue has been escalated (CARs escalated, audits planned, recertification
    audits planned 180 days ahead). `due_soon`: exactly that many audits fall due within the reminder
    horizon and nothing else does (the sweep benchmark compares two scales with the same work to do);
    None: dates as they fall.
    """
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    now = timezone.now().replace(microsecond=0)
    today = now.date()
    report = ScaleReport(certificates=certificates)
    n_cbs = max(2, min(100, certificates // 20))
    n_makers = max(2, certificates // 20)
    tables: list[Table] = []

    def table(model, columns):
        t = Table(model, columns, now)
        tables.append(t)
        return t

    # Reference data: small, through the ORM.
    technologies = [
        Technology.objects.get_or_create(code=code, defaults={"name": name})[0].pk for code, name in TECHNOLOGIES
    ]
    schemes = [
        Scheme.objects.get_or_create(code=c, defaults={"name": n, "document_reference": d, "edition": e})[0]
        for c, n, d, e in SCHEMES
    ]

    # Certification bodies: nearly all approved; a few suspended or under assessment.
    cb0 = _next_id(CertificationBody)
    cb_ids = list(range(cb0, cb0 + n_cbs))
    cb_country = dict(zip(cb_ids, _weighted(rng, CB_COUNTRIES, n_cbs), strict=True))
    cb_state = {i: "approved" for i in cb_ids}
    for i in cb_ids[5::23]:
        cb_state[i] = "suspended"
    cb_name = {i: f"Scale CB {i:04d}" for i in cb_ids}
    table(CertificationBody, ["id", "name", "country", "state", "approved_on", "approval_valid_until"]).copy(
        (
            i,
            cb_name[i],
            cb_country[i],
            cb_state[i],
            today - timedelta(days=rng.randint(400, 5000)),
            today + timedelta(days=rng.randint(31, 1800)),
        )
        for i in cb_ids
    )
    cb_tech = {i: rng.sample(technologies, rng.randint(2, 6)) for i in cb_ids}
    table(_m2m(CertificationBody, "technologies"), ["certificationbody_id", "technology_id"]).copy(
        (i, t) for i in cb_ids for t in cb_tech[i]
    )
    table(_m2m(CertificationBody, "schemes"), ["certificationbody_id", "scheme_id"]).copy(
        (i, s.pk) for i in cb_ids for s in schemes
    )
    log(f"{n_cbs} certification bodies")

    # Manufacturers, one site each, engaged with one or two CBs.
    m0 = _next_id(Manufacturer)
    maker_ids = range(m0, m0 + n_makers)
    maker_country = _weighted(rng, MANUFACTURER_COUNTRIES, n_makers)
    table(Manufacturer, ["id", "name", "country"]).copy(
        (m, f"Scale Manufacturer {m:07d}", maker_country[k]) for k, m in enumerate(maker_ids)
    )
    s0 = _next_id(Site)
    table(Site, ["id", "manufacturer_id", "name", "address", "city", "country"]).copy(
        (s0 + k, m, "Main plant", f"{k % 900 + 1} Industrial Road", f"City {k % 500}", maker_country[k])
        for k, m in enumerate(maker_ids)
    )
    # CBs mostly certify manufacturers of their own region: pick a CB of the same country when there is one.
    cbs_by_country: dict[str, list[int]] = {}
    for i in cb_ids:
        cbs_by_country.setdefault(cb_country[i], []).append(i)
    engagements: list[list[int]] = []
    for k in range(n_makers):
        home = cbs_by_country.get(maker_country[k])
        first = rng.choice(home) if home and rng.random() < 0.7 else rng.choice(cb_ids)
        pair = [first]
        if rng.random() < 0.15:
            other = rng.choice(cb_ids)
            if other != first:
                pair.append(other)
        engagements.append(pair)
    table(Engagement, ["manufacturer_id", "certification_body_id", "since"]).copy(
        (m, cb, today - timedelta(days=rng.randint(30, 4000))) for k, m in enumerate(maker_ids) for cb in engagements[k]
    )
    log(f"{n_makers} manufacturers")

    # Certificates: issued over the past nine years, three-year periods, the status mix above.
    later = 31  # beyond the reminder horizon (IECQ_REMINDER_DAYS) when due_soon is given
    c0 = _next_id(Certificate)
    cert_ids = range(c0, c0 + certificates)
    cert_maker = [m0 + (k % n_makers) for k in range(certificates)]
    rng.shuffle(cert_maker)
    states = _weighted(rng, CERTIFICATE_STATES, certificates)
    scheme_of = rng.choices(schemes, weights=SCHEME_WEIGHTS, k=certificates)
    cert_cb = [0] * certificates
    cert_expires: list[date] = [today] * certificates
    next_due: list[date | None] = [None] * certificates
    status_day: list[date] = [today] * certificates  # when a certificate that is not valid left "valid"
    per_cb_seq: dict[int, int] = {}
    certificate_numbers: list[str] = [""] * certificates

    def certificates_rows():
        for k, cid in enumerate(cert_ids):
            m = cert_maker[k]
            cb = rng.choice(engagements[m - m0])
            cert_cb[k] = cb
            state = states[k]
            if state == CertificateState.EXPIRED:
                expires = today - timedelta(days=rng.randint(1, 1500))
            elif state == CertificateState.WITHDRAWN:
                expires = today + timedelta(days=rng.randint(-700, 1000))
            else:
                expires = today + timedelta(days=rng.randint(1 if due_soon is None else 200, 1095))
            issued = expires - timedelta(days=1095 * rng.choice((1, 1, 1, 2, 3)))
            period_start = expires - timedelta(days=1095)
            cert_expires[k] = expires
            suspended_on = None
            if state == CertificateState.VALID:
                next_due[k] = min(expires, today + timedelta(days=rng.randint(-20 if due_soon is None else later, 365)))
            elif state == CertificateState.SUSPENDED:
                suspended_on = status_day[k] = today - timedelta(days=rng.randint(1, 170 if due_soon is None else 140))
            elif state == CertificateState.WITHDRAWN:
                status_day[k] = min(expires, today) - timedelta(days=rng.randint(1, 700))
            else:
                status_day[k] = expires
            per_cb_seq[cb] = per_cb_seq.get(cb, 0) + 1
            scheme = scheme_of[k]
            certificate_numbers[k] = f"IECQ-{scheme.code.upper()}-{cb_country[cb]}{cb:03d}-{per_cb_seq[cb]:05d}"
            yield (
                cid,
                certificate_numbers[k],
                m,
                cb,
                scheme.pk,
                COMPONENT_TYPES[k % len(COMPONENT_TYPES)],
                issued,
                period_start,
                expires,
                next_due[k],
                suspended_on,
                state,
                1 + (issued.year < period_start.year),
                # The flags follow the open audits written below: a surveillance audit for each certificate with a
                # next audit date, a recertification audit for those of them expiring within 180 days.
                next_due[k] is not None,
                next_due[k] is not None and expires <= today + timedelta(days=180),
            )

    table(
        Certificate,
        [
            "id", "number", "manufacturer_id", "certification_body_id", "scheme_id", "component_types", "issued_on",
            "period_start", "expires_on", "next_audit_due", "suspended_on", "state", "revision",
            "surveillance_planned", "recertification_planned",
        ],
    ).copy(certificates_rows())  # fmt: skip
    log(f"{certificates} certificates")
    if due_soon:
        valid = [k for k in range(certificates) if next_due[k] is not None]
        for k in rng.sample(valid, min(due_soon, len(valid))):
            next_due[k] = today + timedelta(days=rng.randint(0, 29))
    table(_m2m(Certificate, "technologies"), ["certificate_id", "technology_id"]).copy(
        (cid, t) for k, cid in enumerate(cert_ids) for t in cb_tech[cert_cb[k]][: 1 + (k % 3 == 0)]
    )
    table(_m2m(Certificate, "sites"), ["certificate_id", "site_id"]).copy(
        (cid, s0 + cert_maker[k] - m0) for k, cid in enumerate(cert_ids)
    )

    # Audits: the last closed surveillance audit of every certificate, and an open one planned for
    # each valid certificate (at most one open periodic audit per certificate and kind).
    a0 = _next_id(SurveillanceAudit)
    audit_cert: list[int] = []  # certificate index per audit
    audit_closed: list[bool] = []

    def audit_rows():
        aid = a0
        for k, cid in enumerate(cert_ids):
            closed_on = min(today - timedelta(days=rng.randint(1, 360)), cert_expires[k])
            audit_cert.append(k)
            audit_closed.append(True)
            yield (aid, cert_cb[k], cert_maker[k], cid, AuditKind.SURVEILLANCE, AuditState.CLOSED, closed_on, closed_on)
            aid += 1
            if next_due[k] is not None:
                audit_cert.append(k)
                audit_closed.append(False)
                state = AuditState.PLANNED if rng.random() < 0.8 else AuditState.SCHEDULED
                yield (aid, cert_cb[k], cert_maker[k], cid, AuditKind.SURVEILLANCE, state, next_due[k], None)
                aid += 1
                if cert_expires[k] <= today + timedelta(days=180):  # planned by the sweep, as it would have
                    audit_cert.append(k)
                    audit_closed.append(False)
                    due = max(today, cert_expires[k] - timedelta(days=30))
                    yield (
                        aid,
                        cert_cb[k],
                        cert_maker[k],
                        cid,
                        AuditKind.RECERTIFICATION,
                        AuditState.PLANNED,
                        due,
                        None,
                    )
                    aid += 1

    table(
        SurveillanceAudit,
        ["id", "certification_body_id", "manufacturer_id", "certificate_id", "kind", "state", "due_on", "closed_on"],
    ).copy(audit_rows())
    log(f"{len(audit_cert)} surveillance audits")

    # Nonconformities at about a fifth of the closed audits; a CAR for the open majors.
    n0 = _next_id(Nonconformity)
    nc_rows: list[tuple] = []
    nid = n0
    for j, k in enumerate(audit_cert):
        if not audit_closed[j] or rng.random() >= 0.2:
            continue
        grade = Grade.MAJOR if rng.random() < 0.3 else Grade.MINOR
        due = today + timedelta(days=rng.randint(-200, 90))
        state = NonconformityState.CLOSED if due < today - timedelta(days=30) else NonconformityState.OPEN
        if state == NonconformityState.OPEN and due_soon is not None:
            due = today + timedelta(days=rng.randint(later, 90))
        nc_rows.append((nid, cert_cb[k], cert_maker[k], c0 + k, a0 + j, grade, state, due))
        nid += 1
    table(
        Nonconformity,
        [
            "id",
            "certification_body_id",
            "manufacturer_id",
            "certificate_id",
            "audit_id",
            "grade",
            "state",
            "due_on",
            "requirement",
            "description",
            "raised_by_label",
        ],
    ).copy(
        (i, cb, m, c, a, g, s, d, REQUIREMENTS[i % len(REQUIREMENTS)], "Finding recorded at the audit.", "Scale audit")
        for i, cb, m, c, a, g, s, d in nc_rows
    )
    log(f"{len(nc_rows)} nonconformities")
    car0 = _next_id(CorrectiveActionRequest)
    car_rows = []
    for i, cb, m, c, _a, g, s, d in nc_rows:
        if g == Grade.MAJOR:
            car_id = car0 + len(car_rows)
            state = (
                CARState.ACCEPTED
                if s == NonconformityState.CLOSED
                else rng.choice([CARState.ISSUED] * 3 + [CARState.RESPONDED])
            )
            if state == CARState.ISSUED and d < today:  # the sweep escalated it when it fell overdue
                state = CARState.ESCALATED
            car_rows.append(
                (car_id, cb, m, c, i, f"CAR-{cb:03d}-{now:%Y}-{car_id:06d}", "Correct the finding.", d, state)
            )
    table(
        CorrectiveActionRequest,
        ["id", "certification_body_id", "manufacturer_id", "certificate_id", "nonconformity_id", "number", "request",
         "due_on", "state", "issued_by_label"],
    ).copy((*row, "Scale CB decider") for row in car_rows)  # fmt: skip
    log(f"{len(car_rows)} corrective action requests")

    # The transition log: how each certificate that is not valid got there, and each closed audit.
    cert_ct = ContentType.objects.get_for_model(Certificate).pk
    audit_ct = ContentType.objects.get_for_model(SurveillanceAudit).pk
    verbs = {
        CertificateState.SUSPENDED: ("suspend", "Major nonconformity not corrected in time."),
        CertificateState.WITHDRAWN: ("withdraw", "Suspension not lifted within six months."),
        CertificateState.EXPIRED: ("expire", "Not recertified before expiry."),
    }

    def log_rows():
        for k, cid in enumerate(cert_ids):
            state = states[k]
            cb, m = cert_cb[k], cert_maker[k]
            country = cb_country[cb]
            if state in verbs:
                verb, why = verbs[state]
                at = datetime.combine(status_day[k], datetime.min.time(), tzinfo=UTC)
                yield (at.isoformat(), cert_ct, cid, f"IECQ certificate {cid}", verb, "valid", state, why,
                       "deadline sweep" if verb == "expire" else "Scale CB decider", cb, m, country)  # fmt: skip
        for j, k in enumerate(audit_cert):
            if audit_closed[j]:
                cb, m = cert_cb[k], cert_maker[k]
                yield ((now - timedelta(days=30)).isoformat(), audit_ct, a0 + j, f"Audit {a0 + j}", "close",
                       "report_submitted", "closed", "Report reviewed.", "Scale CB decider", cb, m,
                       cb_country[cb])  # fmt: skip

    table(
        TransitionLog,
        ["at", "content_type_id", "object_id", "object_repr", "transition", "source", "target", "reason",
         "actor_label", "certification_body_id", "manufacturer_id", "country"],
    ).copy(log_rows())  # fmt: skip
    log("transition log")

    # The public bulletin: a numbered notice for every suspension and withdrawal (SA-03).
    kinds = {CertificateState.SUSPENDED: NoticeKind.SUSPENSION, CertificateState.WITHDRAWN: NoticeKind.WITHDRAWAL}
    events = sorted((status_day[k], k) for k in range(certificates) if states[k] in kinds)
    last_of_year = {seq.year: seq.last for seq in NoticeSequence.objects.all()}

    def notice_rows():
        for day, k in events:
            last_of_year[day.year] = last_of_year.get(day.year, 0) + 1
            cb = cert_cb[k]
            yield (
                f"{day.year}/{last_of_year[day.year]:04d}",
                datetime.combine(day, datetime.min.time(), tzinfo=UTC).isoformat(),
                kinds[states[k]],
                c0 + k,
                certificate_numbers[k],
                f"Scale Manufacturer {cert_maker[k]:07d}",
                cb,
                cb_name[cb],
                verbs[states[k]][1],
            )

    table(
        BulletinNotice,
        ["number", "published_at", "kind", "certificate_id", "certificate_number", "manufacturer_name",
         "subject_certification_body_id", "certification_body_name", "reason_summary"],
    ).copy(notice_rows())  # fmt: skip
    for year, last in last_of_year.items():
        NoticeSequence.objects.update_or_create(year=year, defaults={"last": last})
    log(f"{len(events)} bulletin notices")

    _reference_data(rng, technologies)
    _seed_users(cb_ids[0], m0, maker_country[0])
    seed_extra(table=table, rng=rng, now=now, cb_ids=cb_ids, cb_country=cb_country, cb_tech=cb_tech, log=log,
               maker_ids=maker_ids, cert_ids=cert_ids, cert_cb=cert_cb, cert_maker=cert_maker,
               states=states)  # fmt: skip
    models_done = {t.model for t in tables}
    reset_sequences(m for m in models_done if m._meta.pk.name == "id")
    with connection.cursor() as cur:
        # The client directory was filled by the database's triggers as sites, contacts and engagements were copied.
        for model in (*models_done, SiteListing, ContactListing):
            cur.execute(f'ANALYZE "{model._meta.db_table}"')
    for t in tables:
        label = t.model._meta.db_table
        rows, secs = report.tables.get(label, (0, 0.0))
        report.tables[label] = (rows + t.rows_written, secs + t.seconds)
    report.seconds = time.perf_counter() - started
    return report


ACCREDITATION_BODIES = [
    ("United Kingdom Accreditation Service", "UKAS", "GB"),
    ("Deutsche Akkreditierungsstelle", "DAkkS", "DE"),
    ("Comité français d'accréditation", "COFRAC", "FR"),
    ("ANSI National Accreditation Board", "ANAB", "US"),
    ("Japan Accreditation Board", "JAB", "JP"),
    ("China National Accreditation Service for Conformity Assessment", "CNAS", "CN"),
    ("Korea Accreditation Board", "KAB", "KR"),
    ("Taiwan Accreditation Foundation", "TAF", "TW"),
]


def _reference_data(rng: random.Random, technologies: list[int]) -> None:
    """Accreditation bodies and proficiency-testing rounds, as the operator keeps them (idempotent)."""
    for name, acronym, country in ACCREDITATION_BODIES:
        AccreditationBody.objects.get_or_create(
            acronym=acronym,
            defaults={
                "name": name,
                "country": country,
                "iaf_mla_signatory": True,
                "iaf_mla_product_certification": True,
            },
        )
    today = timezone.now().date()
    for year in range(today.year - 4, today.year + 1):
        for n, tech in enumerate(technologies[:4]):
            ProficiencyRound.objects.get_or_create(
                code=f"PT-{year}-{n + 1:02d}",
                defaults={
                    "provider": "Scale PT provider",
                    "title": f"Proficiency round {year}/{n + 1}",
                    "technology_id": tech,
                    "held_on": date(year, 1 + rng.randrange(12), 15),
                },
            )


def _seed_users(cb_id: int, manufacturer_id: int, manufacturer_country: str) -> None:
    """One user per kind of principal the benchmarks act as (idempotent)."""
    specs = [
        ("scale-cb-admin", OrganisationKind.CERTIFICATION_BODY, Role.CB_ADMIN, {"certification_body_id": cb_id}),
        ("scale-mf-admin", OrganisationKind.MANUFACTURER, Role.MF_ADMIN, {"manufacturer_id": manufacturer_id}),
    ]
    sb = SupervisoryBody._base_manager.filter(country=manufacturer_country).first()
    if sb is None:
        sb = SupervisoryBody._base_manager.create(
            name=f"Supervisory body {manufacturer_country}", country=manufacturer_country
        )
    specs.append(
        ("scale-supervisor", OrganisationKind.SUPERVISORY_BODY, Role.SB_VIEWER, {"supervisory_body_id": sb.pk})
    )
    specs.append(("scale-operator", OrganisationKind.OPERATOR, Role.OP_ADMIN, {}))
    for username, kind, role, link in specs:
        if User.objects.filter(username=username).exists():
            continue
        org = Organisation.objects_unscoped.filter(kind=kind, **link).first() if link else None
        if org is None:
            org = Organisation.objects_unscoped.create(
                kind=kind, name=f"Scale {kind} {username}", country=manufacturer_country, **link
            )
        user = User.objects.create_user(username=username, password=SCALE_PASSWORD)
        Membership.objects_unscoped.create(user=user, organisation=org, role=role)
