"""Thin Celery tasks of the certification app, run in the requester's scope (iecq.tasks.ScopedTask)."""

from __future__ import annotations

from celery import shared_task

from iecq.principals import Principal
from iecq.tasks import ScopedTask


@shared_task(base=ScopedTask, name="certification.tasks.certificate_pdf_batch_run")
def certificate_pdf_batch_run(*, batch_id: int, principal: Principal) -> str | None:
    """Build one zip of certificate PDFs; returns the job's final state."""
    from .pdf_batches import run_batch

    batch = run_batch(actor=principal, batch_id=batch_id)
    return batch.state if batch is not None else None
