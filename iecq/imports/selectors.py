"""Reads of import jobs, through the visibility rule; live progress comes from the cache while a job runs."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from iecq.principals import Principal
from iecq.selectors import get_visible, visible

from .models import ImportJob
from .services import progress_key


def import_job_list(*, principal: Principal) -> QuerySet[ImportJob]:
    return visible(ImportJob, principal)


def import_job_get(*, principal: Principal, pk: object) -> ImportJob:
    return get_visible(ImportJob, principal, pk)


def import_job_progress(job: ImportJob) -> dict:
    """{state, total, processed, percent}: rows checked while validating, rows written while importing."""
    processed = job.processed
    if not job.is_final:
        live = cache.get(progress_key(job.pk))
        if live is not None:
            processed = live
    total = job.total
    percent = 100 if job.is_final else (min(99, int(processed * 100 / total)) if total else 0)
    return {
        "state": job.state,
        "total": total,
        "processed": min(processed, total) if total else processed,
        "percent": percent,
    }
