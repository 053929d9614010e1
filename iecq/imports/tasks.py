"""Thin Celery task: runs one import in the importer's scope (iecq.tasks.ScopedTask)."""

from __future__ import annotations

from celery import shared_task

from iecq.principals import Principal
from iecq.tasks import ScopedTask


@shared_task(base=ScopedTask, name="iecq.imports.tasks.import_job_run")
def import_job_run(*, job_id: int, principal: Principal) -> str | None:
    """Validate and write one uploaded import file; returns the job's final state."""
    from .runner import run_import

    job = run_import(actor=principal, job_id=job_id)
    return job.state if job is not None else None


@shared_task(name="iecq.imports.tasks.import_jobs_fail_stale")
def import_jobs_fail_stale() -> int:
    """Hourly: fail the imports no worker finished within IECQ_IMPORT_STALE_HOURS (iecq.imports.runner)."""
    from .runner import fail_stale

    return fail_stale()
