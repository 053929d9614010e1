"""Thin Celery tasks of the certification app, run in the requester's scope (iecq.tasks.ScopedTask), and its daily
clean-up of stored PDFs, run by the system."""

from __future__ import annotations

import dataclasses
import logging

from celery import shared_task

from iecq.principals import Principal, system_principal
from iecq.tasks import ScopedTask
from iecq.tenancy import scope

logger = logging.getLogger(__name__)


@shared_task(base=ScopedTask, name="certification.tasks.certificate_pdf_batch_run")
def certificate_pdf_batch_run(*, batch_id: int, principal: Principal) -> str | None:
    """Build one zip of certificate PDFs; returns the job's final state."""
    from .pdf_batches import run_batch

    batch = run_batch(actor=principal, batch_id=batch_id)
    return batch.state if batch is not None else None


@shared_task(name="certification.tasks.stored_pdfs_clear", acks_late=True)
def stored_pdfs_clear() -> dict[str, int]:
    """Daily: fail jobs of certificate PDFs no worker finished, expire zips past their retention and delete stored
    PDFs nobody reads any more; every certification body's (the system acts, as the deadline sweep does); safe to
    run twice at once."""
    from .pdf_cleanup import stored_pdfs_clear as clear

    actor = system_principal("stored PDF clean-up")
    with scope(actor):
        report = dataclasses.asdict(clear(actor=actor))
    logger.info("stored PDF clean-up: %s", ", ".join(f"{key} {value}" for key, value in report.items()))
    return report


@shared_task(name="certification.tasks.register_pages_prune", acks_late=True)
def register_pages_prune() -> int:
    """Daily: delete stored verification pages older than IECQ_REGISTER_PAGE_DAYS, and those past their date, to
    return their space (a stored page is never stale: certification/register_cache.py); the next visit stores it
    again. Safe to run twice at once."""
    from datetime import timedelta

    from django.conf import settings

    from . import register_cache

    if not register_cache.supported():
        return 0
    deleted = register_cache.prune(older_than=timedelta(days=settings.IECQ_REGISTER_PAGE_DAYS))
    logger.info("stored verification pages deleted: %s", deleted)
    return deleted


@shared_task(name="certification.tasks.register_entries_fill", acks_late=True)
def register_entries_fill() -> int:
    """Every five minutes: compute the register entry of each certificate that has none (added, or changed since
    the last run: every change deletes the entries it concerns), so that its first verification is one index
    lookup (certification/register_cache.py). Until then the entry is computed at the visit: never stale either
    way. Each batch is a short transaction; safe to run twice at once."""
    from django.db import connection

    from . import register_cache

    if not register_cache.supported():
        return 0
    if connection.in_atomic_block:  # run eagerly inside a transaction (tests): its batches must each commit
        logger.info("register entries: not filled inside a transaction; the next beat run fills them")
        return 0
    filled = register_cache.fill_entries()
    if filled:
        logger.info("register entries filled: %s", filled)
    return filled
