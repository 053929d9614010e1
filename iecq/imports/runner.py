"""One import, from the queued file to done or rejected: what the Celery task runs.

validating: the file is read and every row checked (all errors collected; progress every CHUNK rows).
importing:  only when no row has an error; every row is written in one transaction, which also moves the job
            to done, so "done" and the written rows commit together or not at all.
A database conflict that appears between the two passes (a number taken meanwhile) rejects the job whole.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from iecq.errors import NotFound
from iecq.principals import Principal, system_principal
from iecq.selectors import get_visible
from iecq.tenancy import scope

from . import services, validation
from .choices import ImportKind
from .choices import ImportState as S
from .models import ImportJob
from .parsing import FileRejected, RowError, read_rows

logger = logging.getLogger(__name__)
MAX_REPORTED_ERRORS = 10_000


def report_of(errors: list[RowError], *, written: int = 0) -> dict:
    """The report kept with the job: every error up to a bound (the count is always exact)."""
    return {
        "errors": [e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
        "error_count": len(errors),
        "rejected_rows": len({e.row for e in errors}),
        "truncated": len(errors) > MAX_REPORTED_ERRORS,
        "written": written,
    }


def _closer(actor: Principal, job: ImportJob) -> Principal:
    """Who records the end of a job: its importer, or the system when the importer may no longer act."""
    return (
        actor
        if services.may_import(actor) and actor.certification_body_id == job.certification_body_id
        else (system_principal(f"import {job.pk} closed"))
    )


def _fail(actor: Principal, job: ImportJob, message: str) -> ImportJob:
    cache.delete(services.progress_key(job.pk))
    return services.import_job_advance(
        actor=_closer(actor, job),
        pk=job.pk,
        name="fail",
        reason=message,
        report=report_of([RowError(0, "", message)]),
    )


def _language_of(actor: Principal) -> str:
    """The report is written in the uploader's preferred language (English for API tokens)."""
    from django.conf import settings

    from iecq.models import User

    language = User.objects.filter(pk=actor.user_id).values_list("language", flat=True).first() or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def run_import(*, actor: Principal, job_id: int) -> ImportJob | None:
    """Run a queued job to its end, its report in the uploader's language."""
    with translation.override(_language_of(actor)):
        return _run_import(actor=actor, job_id=job_id)


def _run_import(*, actor: Principal, job_id: int) -> ImportJob | None:
    """A job found half-way (its worker died) is failed: nothing of it was written."""
    system = system_principal(f"import {job_id}")
    try:
        job = get_visible(ImportJob, system, job_id)
    except NotFound:
        return None
    if job.state in (S.VALIDATING, S.IMPORTING):
        return _fail(actor, job, _("The worker stopped while running this import; nothing was written. Upload again."))
    if job.state != S.QUEUED:
        return job  # delivered twice: already run
    if not services.may_import(actor) or actor.certification_body_id != job.certification_body_id:
        return _fail(actor, job, _("The person who uploaded the file may no longer import; nothing was written."))
    try:
        return _run(actor, job)
    except Exception:  # our error, never the file's: the job says so instead of staying "importing" forever
        logger.exception("import %s failed", job_id)
        return _fail(actor, job, _("The import failed because of an error on our side; nothing was written."))


def _run(actor: Principal, job: ImportJob) -> ImportJob:
    job = services.import_job_advance(actor=actor, pk=job.pk, name="start_validation")
    services.progress_report(job.pk, 0)
    with job.file.open("rb") as handle:
        data = handle.read()
    try:
        rows, row_errors = read_rows(data, kind=job.kind, fmt=job.format)
    except FileRejected as exc:
        return services.import_job_advance(
            actor=actor, pk=job.pk, name="reject", reason=exc.errors[0].message, report=report_of(exc.errors)
        )
    total = len(rows) + len({e.row for e in row_errors})
    ImportJob._base_manager.filter(pk=job.pk).update(total=total)

    def progress(n: int) -> None:
        services.progress_report(job.pk, n)

    if job.kind == ImportKind.MANUFACTURERS:
        outcome = validation.validate_manufacturers(rows, actor=actor, progress=progress)
    else:
        problems = validation.cb_may_import_certificates(job.certification_body)
        if problems:
            errors = [RowError(0, "", p) for p in problems]
            return services.import_job_advance(
                actor=actor, pk=job.pk, name="reject", reason=problems[0], report=report_of(errors), total=total
            )
        outcome = validation.validate_certificates(rows, actor=actor, cb=job.certification_body, progress=progress)
    errors = sorted(row_errors + outcome.errors, key=lambda e: e.row)
    if errors:
        return services.import_job_advance(
            actor=actor,
            pk=job.pk,
            name="reject",
            reason=_("%(n)d rows have errors; nothing was written.") % {"n": len({e.row for e in errors})},
            report=report_of(errors),
            total=total,
            processed=total,
        )
    services.import_job_advance(actor=actor, pk=job.pk, name="start_import", total=total, processed=0)
    services.progress_report(job.pk, 0)
    writer = services.manufacturer_import if job.kind == ImportKind.MANUFACTURERS else services.certificate_import
    try:
        written = _write(actor, job, writer, outcome.ready)
    except IntegrityError:
        message = _(
            "The register changed while the file was checked (a number or a name was taken meanwhile); "
            "nothing was written. Upload the file again to see which rows."
        )
        cache.delete(services.progress_key(job.pk))
        return services.import_job_advance(
            actor=actor, pk=job.pk, name="reject", reason=message, report=report_of([RowError(0, "", message)])
        )
    cache.delete(services.progress_key(job.pk))
    return ImportJob._base_manager.get(pk=job.pk) if written else job


def _write(actor: Principal, job: ImportJob, writer, rows) -> int:
    """The rows and the job's "done" in one transaction."""
    from django.db import transaction

    from iecq.tenancy import scope

    with scope(actor), transaction.atomic():
        written = writer(actor=actor, job=job, rows=rows)
        services.import_job_advance(
            actor=actor,
            pk=job.pk,
            name="finish",
            reason=_("%(n)d rows written.") % {"n": written},
            processed=written,
            report=report_of([], written=written),
        )
    return written


def fail_stale(*, now: datetime | None = None) -> int:
    """Fail the jobs no worker finished within IECQ_IMPORT_STALE_HOURS of their upload (the task's message was
    lost, or its worker with it: the runner fails a half-run job only if the message comes back). Nothing of such
    a job was written, since rows are written in the transaction that ends it; its page stops polling and says
    to upload again, in the uploader's language. Returns how many were failed; safe to run twice at once."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.IECQ_IMPORT_STALE_HOURS)
    system = system_principal("stale import clean-up")
    open_states = (S.QUEUED, S.VALIDATING, S.IMPORTING)
    with scope(system):
        stale = list(
            ImportJob.objects.filter(state__in=open_states, created_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", "created_by__language")
        )
    failed = 0
    for pk, language in stale:
        with transaction.atomic():
            job = get_visible(ImportJob, system, pk, for_update=True)
            if job.state not in open_states:
                continue  # its worker finished it meanwhile, or another run got there first
            hours = settings.IECQ_IMPORT_STALE_HOURS
            language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
            with translation.override(language):
                message = ngettext(
                    "No worker finished this import within %(n)d hour; nothing was written. Upload again.",
                    "No worker finished this import within %(n)d hours; nothing was written. Upload again.",
                    hours,
                ) % {"n": hours}
            _fail(system, job, message)
            failed += 1
    if failed:
        logger.warning("failed %d import(s) no worker finished", failed)
    return failed
