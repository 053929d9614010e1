"""Celery: a real worker on the real Redis runs tasks inside the principal's scope, after commit."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction

from iecq.celery import app
from iecq.roles import Role
from iecq.tasks import scope_probe

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker(monkeypatch, settings):
    """A `celery worker` process on a queue of its own, connected to the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iecq.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.CELERY_BROKER_URL,
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "iecq",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_runs_task_in_the_principals_scope(world, worker):
    _user, cb_admin = world.a.users[Role.CB_ADMIN]
    result = scope_probe.apply_async(kwargs={"principal_ref": cb_admin.reference()})
    outcome = result.get(timeout=180)  # a cold worker on a loaded 2-core machine takes a while
    # The worker rebuilt the CB administrator's principal and saw exactly what that person sees.
    assert outcome["certification_bodies"] == ["Alphaside Certification", "Publicside Certification"]
    assert outcome["principal"] == cb_admin.label


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_tasks_are_sent_only_after_commit(world, worker, monkeypatch):
    """A task enqueued in a transaction that rolls back is never sent; one that commits is, and runs."""
    _user, op = world.operator
    sent = []
    real_apply_async = scope_probe.apply_async

    def recording_apply_async(*args, **kwargs):
        sent.append(real_apply_async(*args, **kwargs))
        return sent[-1]

    monkeypatch.setattr(scope_probe, "apply_async", recording_apply_async)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        scope_probe.enqueue(principal=op)
        raise Rollback
    assert sent == []
    with transaction.atomic():
        scope_probe.enqueue(principal=op)
        assert sent == []  # the transaction is still open
    assert len(sent) == 1
    outcome = sent[0].get(timeout=180)
    assert len(outcome["certification_bodies"]) == 3  # the operator sees every CB


def test_scoped_task_refuses_to_run_without_a_principal():
    with pytest.raises(ValueError, match="principal_ref"):
        scope_probe.apply(kwargs={}).get()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.req("SC-01")
@pytest.mark.req("SC-02")
def test_the_real_worker_runs_the_sweep_and_a_second_delivery_sends_nothing(world, worker):
    from datetime import timedelta

    from django.utils import timezone

    from iecq.models import Reminder
    from iecq.tasks import deadline_sweep
    from iecq.tenancy import scope
    from surveillance.models import SurveillanceAudit

    from .factories import SYSTEM

    with scope(SYSTEM):  # side A's open audit falls due in three days
        SurveillanceAudit.objects.filter(pk=world.a.records[SurveillanceAudit].pk).update(
            due_on=timezone.now().date() + timedelta(days=3)
        )
    first = deadline_sweep.apply_async().get(timeout=90)
    duplicate = deadline_sweep.apply_async().get(timeout=90)  # the same message delivered again
    assert first["sent"] > 0 and duplicate["sent"] == 0
    assert duplicate["already_sent"] >= first["sent"]
    with scope(SYSTEM):
        keys = list(Reminder.objects.values_list("deadline_key", "step", "recipient_id"))
    assert len(keys) == len(set(keys)) == first["sent"]
