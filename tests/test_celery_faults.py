"""SC-02 under faults: real worker and beat processes on a private Redis, with things going wrong.

A private `redis-server` (its own port, never the shared one) carries the messages, so that it can
be restarted; the workers use the suite's test database. Faults: a worker process killed with SIGKILL
in the middle of the deadline sweep, the same sweep delivered several times at once, Redis restarted
under a running worker, two beat processes sending the sweep, and the worker's database connections
cut with `pg_terminate_backend` (which stands for a PostgreSQL restart: the shared server is not
restarted). After each, every reminder due has been recorded and sent exactly once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.db import connection
from django.utils import timezone

from iecq.models import EmailOutbox, Notification, Reminder
from iecq.scheduler import sweep
from iecq.tenancy import scope
from surveillance.models import SurveillanceAudit

from .factories import SYSTEM
from .reliability_figures import record

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.req("SC-02"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to run a private Redis"),
]


def wait_for(condition, timeout: float, what: str, interval: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port(preferred: int = 6390) -> int:
    for port in range(preferred, preferred + 50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for a private Redis")


class PrivateRedis:
    """A redis-server of this test module alone, which the tests may stop and start again."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: self._ping(client), 20, "the private Redis to start")

    @staticmethod
    def _ping(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory):
    server = PrivateRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


def celery_env(redis_url: str, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iecq.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        **extra,
    }


def start_celery(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.celery_fault_app", *args],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def fault_worker(private_redis, django_db_setup, tmp_path_factory):
    """One prefork worker (two child processes) for the module: it survives every fault below."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    proc = start_celery(
        [
            "worker",
            "--pool=prefork",
            "--concurrency=2",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        celery_env(private_redis.url),
        log,
    )
    yield proc, log
    stop(proc)


@pytest.fixture
def sender(private_redis, fault_worker):
    """A Celery client of the private Redis, as the web process is of the real one; the worker answers it."""
    private_redis.client().flushall()
    # Not the current app: the platform's own tasks in this process keep sending through iecq.celery.app.
    app = Celery("fault-sender", broker=private_redis.url, backend=private_redis.url, set_as_current=False)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    first = app.send_task("iecq.tasks.scope_probe", kwargs={"principal_ref": {"system": "fault test"}})
    result(first, 120)  # a cold worker on a loaded machine takes a while
    yield app
    app.close()


def result(async_result, timeout: float):
    """The task's outcome, polling the backend (which reconnects), not a pub/sub channel that may have died."""
    wait_for(lambda: async_result.ready(), timeout, f"task {async_result.id}", interval=0.3)
    return async_result.get(timeout=5, propagate=False)


@pytest.fixture
def due(world):
    """Every open surveillance audit falls due in three days: reminders for both sides' people."""
    with scope(SYSTEM):
        SurveillanceAudit.objects.update(due_on=timezone.now().date() + timedelta(days=3))
    return world


def audit_reminders() -> dict:
    """What was recorded and sent: each reminder once, each notification and email once."""
    with scope(SYSTEM):
        keys = list(Reminder.objects.values_list("deadline_key", "step", "recipient_id"))
        notes = list(Notification.objects.values_list("recipient_id", "title"))
        mails = list(EmailOutbox.objects.values_list("to", "subject"))
    assert len(keys) == len(set(keys)), "a reminder was recorded twice"
    assert len(notes) == len(set(notes)), "a notification was sent twice"
    assert len(mails) == len(set(mails)), "an email was queued twice"
    return {"reminders": len(keys), "notifications": len(notes), "emails": len(mails)}


def assert_nothing_lost() -> None:
    """A sweep run now finds every reminder due already recorded: none was lost."""
    report = sweep()
    assert report.reminders_sent == 0 and report.reminders_already_sent > 0


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_sweep_the_sweep_is_redelivered_and_finishes(due, sender, tmp_path):
    marker = tmp_path / "sweep"
    task = sender.send_task("tests.fault_sweep", kwargs={"pause_after": 2, "marker": str(marker)})
    paused = Path(f"{marker}.paused")
    wait_for(paused.exists, 60, "the sweep to stop half way")
    child = int(paused.read_text())
    half_way = audit_reminders()["reminders"]
    assert half_way == 2
    os.kill(child, signal.SIGKILL)  # the child process dies with the message unacknowledged
    outcome = result(task, 60)
    assert task.successful(), outcome
    assert outcome["pid"] != child  # redelivered (acks_late, reject_on_worker_lost) to another process
    assert outcome["already_sent"] >= 2 and outcome["sent"] > 0  # it found the first half and did the rest
    figures = audit_reminders()
    assert figures["reminders"] == half_way + outcome["sent"]
    assert_nothing_lost()
    record("celery faults", "worker SIGKILL mid-sweep: reminders before kill / after redelivery", (half_way, figures))


@pytest.mark.django_db(transaction=True)
def test_a_message_delivered_three_times_at_once_sends_each_reminder_once(due, sender):
    copies = [sender.send_task("iecq.tasks.deadline_sweep") for _ in range(3)]
    outcomes = [result(c, 60) for c in copies]
    assert all(c.successful() for c in copies), outcomes
    figures = audit_reminders()
    assert figures["reminders"] > 0
    assert sum(o["sent"] for o in outcomes) == figures["reminders"]  # no copy sent what another had sent
    assert_nothing_lost()
    record("celery faults", "three deliveries of one sweep: reminders sent by each", [o["sent"] for o in outcomes])


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_under_a_running_worker_both_sides_recover(due, sender, private_redis, fault_worker):
    _proc, log = fault_worker
    private_redis.stop()
    time.sleep(1)  # the worker notices the lost broker
    private_redis.start()  # an empty Redis: what was queued is gone, as after a restart without persistence
    sweep_task = sender.send_task("iecq.tasks.deadline_sweep")  # the client reconnects to enqueue
    outcome = result(sweep_task, 60)  # the worker reconnected and consumed it
    assert sweep_task.successful(), outcome
    assert "Connection to broker lost" in log.read_text()  # the worker really lost Redis, and came back
    assert outcome["sent"] == audit_reminders()["reminders"] > 0
    assert_nothing_lost()
    record("celery faults", "Redis restarted: sweep after restart sent", outcome["sent"])


@pytest.mark.django_db(transaction=True)
def test_two_beat_processes_send_the_sweep_and_each_reminder_goes_once(due, sender, private_redis, tmp_path):
    env = celery_env(private_redis.url, FAULT_BEAT_INTERVAL="1")
    beats = [
        start_celery(
            ["beat", "--loglevel=INFO", f"--schedule={tmp_path / f'beat-{n}'}"], env, tmp_path / f"beat-{n}.log"
        )
        for n in (1, 2)
    ]
    sent_by = [0, 0]
    try:

        def both_sent_three() -> bool:
            for n in (0, 1):
                sent_by[n] = len(
                    re.findall(r"Sending due task deadline-sweep ", (tmp_path / f"beat-{n + 1}.log").read_text())
                )
            return min(sent_by) >= 3

        wait_for(both_sent_three, 60, "both beats to send the sweep three times")
    finally:
        for beat in beats:
            stop(beat)
    for n in (0, 1):
        sent_by[n] = len(re.findall(r"Sending due task deadline-sweep ", (tmp_path / f"beat-{n + 1}.log").read_text()))
    client = private_redis.client()

    def every_sweep_done():
        metas = [client.get(k) for k in client.keys("celery-task-meta-*")]
        done = [m for m in metas if m and b'"SUCCESS"' in m and b'"already_sent"' in m]
        return done if len(done) >= sum(sent_by) else None

    done = wait_for(every_sweep_done, 60, "the worker to run every sweep the beats sent", interval=0.5)
    sent = [json.loads(m)["result"]["sent"] for m in done]
    figures = audit_reminders()
    assert figures["reminders"] > 0
    assert sum(sent) == figures["reminders"]  # each reminder sent by exactly one of the sweeps
    assert_nothing_lost()
    record("celery faults", "two beats: sweeps sent by each beat / reminders", (sent_by, figures["reminders"]))


@pytest.mark.django_db(transaction=True)
def test_database_connections_cut_under_the_worker_it_recovers(due, sender, tmp_path):
    """pg_terminate_backend stands for a PostgreSQL restart: every connection of the worker is cut."""
    marker = tmp_path / "sweep"
    task = sender.send_task("tests.fault_sweep", kwargs={"pause_after": 2, "marker": str(marker)})
    wait_for(Path(f"{marker}.paused").exists, 60, "the sweep to stop half way")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert cur.fetchone()[0] >= 1  # the worker's connection(s)
    Path(f"{marker}.release").write_text("go")
    outcome = result(task, 60)
    assert task.failed(), outcome  # its next query met the cut connection
    # The same worker processes reconnect: the next sweep finishes the work, and scoped tasks run.
    again = sender.send_task("iecq.tasks.deadline_sweep")
    second = result(again, 60)
    assert again.successful(), second
    assert second["already_sent"] >= 2 and second["sent"] > 0
    probe = sender.send_task("iecq.tasks.scope_probe", kwargs={"principal_ref": {"system": "after the cut"}})
    assert len(result(probe, 60)["certification_bodies"]) == 3
    assert_nothing_lost()
    record("celery faults", "database connections cut: first sweep failed, next sweep sent", second["sent"])
