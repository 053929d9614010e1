"""Writes of the imports app: creating a job, moving it through its states, and writing validated rows.

The two writers apply, row by row but in bulk, what one record's import means:
- `manufacturer_import`: manufacturer_create by CB staff — the manufacturer, and this CB as its certification
  body of record (an engagement);
- `certificate_import`: a certificate of a legacy register, with the number, dates and scope of the file, its
  first revision ("imported") and one "import" row in the transition log (PL-02); see docs/imports.md.
Both run in one transaction and are called only with rows the validators accepted (imports.validation).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bodies.models import CertificationBody
from certification.choices import CertificateState
from certification.models import Certificate, CertificateNumberSequence, CertificateRevision
from iecq.errors import Forbidden, ValidationFailed
from iecq.permissions import CB_DECIDERS
from iecq.principals import Principal
from iecq.selectors import get_visible
from iecq.tenancy import service
from iecq.transitions import log_append_many, transition
from manufacturers.models import Engagement, Manufacturer

from .choices import ImportKind
from .models import ImportJob
from .parsing import check_import_upload
from .validation import OWN_NUMBER_RE

BATCH = 2000
IMPORT_TRANSITION = "import"


def may_import(principal: Principal) -> bool:
    """Imports write a CB's register: its administrator or certification manager (not clerks, not tokens of others)."""
    return principal.is_cb and principal.has_role(*CB_DECIDERS)


def progress_key(job_id: int) -> str:
    return f"imports:progress:{job_id}"


def progress_report(job_id: int, processed: int) -> None:
    """Live progress goes to the cache: the rows being written are inside a transaction nobody else sees yet."""
    cache.set(progress_key(job_id), processed, 24 * 3600)


@service
def import_job_create(*, actor: Principal, kind: str, file) -> ImportJob:
    """Store an uploaded file (size limited, type by content, our own name) as a queued job and start it."""
    if not may_import(actor):
        raise Forbidden(_("Only a CB's administrator or certification manager imports records."))
    if kind not in ImportKind.values:
        raise ValidationFailed(errors={"kind": [_("Choose manufacturers or certificates.")]})
    if file is None:
        raise ValidationFailed(errors={"file": [_("Choose a CSV or JSON file.")]})
    checked = check_import_upload(file)
    job = ImportJob(
        certification_body=get_visible(CertificationBody, actor, actor.certification_body_id),
        kind=kind,
        format=checked.format,
        storage_name=checked.storage_name,
        original_name=checked.original_name,
        size=checked.size,
        sha256=checked.sha256,
        created_by_id=actor.user_id,
        created_by_label=actor.label[:200],
    )
    job.file.save(checked.storage_name, file, save=False)
    job.save()
    from . import tasks

    tasks.import_job_run.enqueue(job_id=job.pk, principal=actor)
    return job


@service
def import_job_advance(*, actor: Principal, pk: int, name: str, reason: str = "", **fields: Any) -> ImportJob:
    """Move a job to its next state (logged), saving the counters or the report that go with it."""
    job = get_visible(ImportJob, actor, pk, for_update=True)
    transition(job, name, actor=actor, reason=reason)
    now = timezone.now()
    if name == "start_validation":
        job.started_at = now
    if job.is_final:
        job.finished_at = now
    for field, value in fields.items():
        setattr(job, field, value)
    job.save()
    return job


def _batches(items: list):
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


@service
def manufacturer_import(*, actor: Principal, job: ImportJob, rows: list[tuple[int, dict[str, Any]]]) -> int:
    """Register every manufacturer of the file with this CB as its certification body of record; all or nothing."""
    if not may_import(actor) or actor.certification_body_id != job.certification_body_id:
        raise Forbidden(_("Only a CB's administrator or certification manager imports records."))
    today = timezone.now().date()
    written = 0
    for batch in _batches(rows):
        made = Manufacturer._base_manager.bulk_create([Manufacturer(**clean) for _n, clean in batch])
        Engagement._base_manager.bulk_create(
            [Engagement(manufacturer=m, certification_body_id=job.certification_body_id, since=today) for m in made]
        )
        written += len(made)
        progress_report(job.pk, written)
    return written


def _snapshot(cert: Certificate, clean: dict[str, Any], tech_codes: dict[int, str]) -> dict[str, Any]:
    """The first revision's record of the certificate (as certification.services._snapshot writes it)."""
    return {
        "number": cert.number,
        "state": cert.state,
        "certification_body": {"id": cert.certification_body_id, "name": cert.certification_body.name},
        "manufacturer": {"id": cert.manufacturer_id, "name": cert.manufacturer.name},
        "scheme": clean["scheme"].code,
        "technologies": sorted(tech_codes[t] for t in clean["technologies"]),
        "component_types": cert.component_types,
        "specifications": cert.specifications,
        "sites": sorted(clean["sites"]),
        "issued_on": cert.issued_on.isoformat(),
        "period_start": cert.period_start.isoformat(),
        "expires_on": cert.expires_on.isoformat(),
    }


@service
def certificate_import(*, actor: Principal, job: ImportJob, rows: list[tuple[int, dict[str, Any]]]) -> int:
    """Import every row's certificate, all or nothing: each certificate is created valid with the number,
    dates and scope of the file, gets its first revision and an "import" row in the transition log."""
    if not may_import(actor) or actor.certification_body_id != job.certification_body_id:
        raise Forbidden(_("Only a CB's administrator or certification manager imports records."))
    from bodies.models import Technology

    cb = job.certification_body
    tech_codes = dict(Technology.objects.values_list("pk", "code"))
    TechLink = Certificate.technologies.through
    SiteLink = Certificate.sites.through
    reason = _("Imported from a legacy register (import %(job)d, file %(file)s).") % {
        "job": job.pk,
        "file": job.original_name,
    }
    written = 0
    for batch in _batches(rows):
        certs = [
            Certificate(
                number=clean["number"],
                manufacturer=clean["manufacturer"],
                certification_body=cb,
                scheme=clean["scheme"],
                component_types=clean["component_types"],
                specifications=clean["specifications"],
                issued_on=clean["issued_on"],
                period_start=clean["period_start"],
                expires_on=clean["expires_on"],
                next_audit_due=clean["next_audit_due"],
            )
            for _n, clean in batch
        ]
        Certificate._base_manager.bulk_create(certs)
        TechLink.objects.bulk_create(
            [
                TechLink(certificate_id=cert.pk, technology_id=tech)
                for cert, (_n, clean) in zip(certs, batch, strict=True)
                for tech in clean["technologies"]
            ]
        )
        SiteLink.objects.bulk_create(
            [
                SiteLink(certificate_id=cert.pk, site_id=site)
                for cert, (_n, clean) in zip(certs, batch, strict=True)
                for site in clean["site_ids"]
            ]
        )
        CertificateRevision.objects_append.bulk_create(
            [
                CertificateRevision(
                    certificate=cert,
                    number=1,
                    snapshot=_snapshot(cert, clean, tech_codes),
                    reason=reason,
                    created_by_label=actor.label[:200],
                )
                for cert, (_n, clean) in zip(certs, batch, strict=True)
            ]
        )
        log_append_many(
            certs, transition=IMPORT_TRANSITION, source="", target=CertificateState.VALID, reason=reason, actor=actor
        )
        written += len(certs)
        progress_report(job.pk, written)
    _advance_number_sequences(cb, rows)
    # The imported certificates' register entries, ready for their first verification without waiting for the
    # beat task (certification/register_cache.py); a lost message only leaves them to that task.
    from certification.tasks import register_entries_fill

    transaction.on_commit(register_entries_fill.delay)
    return written


def _advance_number_sequences(cb: CertificationBody, rows: list[tuple[int, dict[str, Any]]]) -> None:
    """An imported number of the platform's own form for this CB moves its sequence on, so the next certificate
    issued here never collides with it."""
    highest: dict[int, int] = {}
    for _n, clean in rows:
        match = OWN_NUMBER_RE.match(clean["number"])
        scheme = clean["scheme"]
        if match and match.group(1) == scheme.code.upper():
            highest[scheme.pk] = max(highest.get(scheme.pk, 0), int(match.group(4)))
    for scheme_id, last in highest.items():
        sequence, _created = CertificateNumberSequence.objects.get_or_create(certification_body=cb, scheme_id=scheme_id)
        sequence = CertificateNumberSequence.objects.select_for_update().get(pk=sequence.pk)
        if sequence.last < last:
            sequence.last = last
            sequence.save(update_fields=["last"])
