"""The certificates' planned flags stay equal to their open audits, whoever writes them and in whatever order.

`Certificate.surveillance_planned` / `recertification_planned` are recomputed from the audits by every write
that may open or end a periodic audit (`audit_plan`, `audit_transition`, the sweep), under a lock on the
certificate row taken before any of its audits is read or written. The plain tests start each step from flags
that are wrong on purpose, so only a recomputation from the audits passes them. The concurrent tests run two
writers in threads with their own connections and hold the first one open, inside its transaction, until the
second is waiting for a lock or has finished: without the certificate lock the second reads the audits before
the first commits and writes flags that are stale once both have committed (or, closing a recertification
audit against the sweep, the two deadlock).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bodies.models import Auditor
from certification.models import Certificate
from iecq import scheduler
from iecq.roles import Role
from iecq.tenancy import scope
from surveillance import services
from surveillance.choices import OPEN_AUDIT_STATES, AuditKind, AuditState
from surveillance.models import SurveillanceAudit

from .factories import SYSTEM
from .test_sweep_planning import flags_match_audits, fresh_certificate, open_audits

pytestmark = [pytest.mark.req("SV-01"), pytest.mark.req("SV-06"), pytest.mark.req("SC-03")]

# The states an audit passes through, in order, and the transition that leaves each.
PATH = [
    (AuditState.PLANNED, "schedule"),
    (AuditState.SCHEDULED, "start"),
    (AuditState.IN_PROGRESS, "submit_report"),
    (AuditState.REPORT_SUBMITTED, "close"),
]


def prepare(mgr, audit: SurveillanceAudit, name: str) -> None:
    """What a transition needs first: a date before scheduling, a report before submitting it."""
    if name == "schedule":
        services.audit_update(actor=mgr, pk=audit.pk, scheduled_for=timezone.now().date())
    if name == "submit_report":
        services.audit_update(actor=mgr, pk=audit.pk, report="QMS and production audited.")


def advance(mgr, audit: SurveillanceAudit, auditor, to: str) -> None:
    """Take an audit through the services (team, date, report as each step needs) until it is in state `to`."""
    with scope(SYSTEM):
        if not audit.team.exists():
            services.audit_team_assign(actor=mgr, audit=audit.pk, auditor=auditor, role="lead")
    for state, name in PATH:
        with scope(SYSTEM):
            if SurveillanceAudit.objects.get(pk=audit.pk).state == to:
                return
        assert state != to
        prepare(mgr, audit, name)
        services.audit_transition(actor=mgr, pk=audit.pk, name=name)


def scramble(cert_pk: int) -> None:
    """Set both flags to the opposite of what the certificate's open audits say (a write around the services)."""
    with scope(SYSTEM):
        open_kinds = set(
            SurveillanceAudit.objects.filter(certificate_id=cert_pk, state__in=OPEN_AUDIT_STATES).values_list(
                "kind", flat=True
            )
        )
        Certificate.objects.filter(pk=cert_pk).update(
            surveillance_planned=AuditKind.SURVEILLANCE not in open_kinds,
            recertification_planned=AuditKind.RECERTIFICATION not in open_kinds,
        )


def periodic_audit(world, kind: str) -> SurveillanceAudit:
    """The certificate's open audit of `kind`: the fixtures' surveillance audit, or a recertification audit
    planned by the CB."""
    cert = fresh_certificate(world)
    if kind == AuditKind.SURVEILLANCE:
        (audit,) = open_audits(cert)
        return audit
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    return services.audit_plan(actor=mgr, certificate=cert.pk, kind=kind, due_on=timezone.now().date())


# --- each write recomputes both flags -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [AuditKind.SURVEILLANCE, AuditKind.RECERTIFICATION])
@pytest.mark.parametrize(("source", "name"), [*PATH, (AuditState.PLANNED, "cancel"), (AuditState.SCHEDULED, "cancel")])
def test_every_audit_transition_leaves_both_flags_equal_to_the_open_audits(world, kind, source, name):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    audit = periodic_audit(world, kind)
    advance(mgr, audit, world.a.records[Auditor], source)
    prepare(mgr, audit, name)
    flags_match_audits()
    scramble(audit.certificate_id)
    services.audit_transition(actor=mgr, pk=audit.pk, name=name, reason="For the test.")
    flags_match_audits()


@pytest.mark.parametrize("kind", [AuditKind.RECERTIFICATION, AuditKind.SPECIAL])
def test_planning_an_audit_leaves_both_flags_equal_to_the_open_audits(world, kind):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = fresh_certificate(world)
    scramble(cert.pk)
    services.audit_plan(actor=mgr, certificate=cert.pk, kind=kind, due_on=timezone.now().date(), trigger="complaint")
    flags_match_audits()


def test_the_sweep_leaves_both_flags_of_what_it_plans_equal_to_the_open_audits(world):
    """A certificate the sweep reads for one kind gets both flags recomputed: here the surveillance audit it plans,
    and a recertification flag that said planned with no recertification audit open."""
    today = timezone.now().date()
    cert = fresh_certificate(world)
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(certificate=cert).update(state=AuditState.CANCELLED)
        Certificate.objects.filter(pk=cert.pk).update(
            surveillance_planned=False, recertification_planned=True, next_audit_due=today
        )
    assert scheduler.sweep().escalations["audits_plan_due"] == 1
    assert len(open_audits(cert)) == 1
    flags_match_audits()


# --- writers at once -------------------------------------------------------------------------------------------


class Held:
    """Holds one thread inside its transaction at `periodic_audit_flags_refresh` (before or after it runs) until
    released, so a second writer can be started against it at that point."""

    def __init__(self, monkeypatch, *, thread_name: str, before: bool):
        self.reached, self.release = threading.Event(), threading.Event()
        real = services.periodic_audit_flags_refresh

        def refresh(**kwargs):
            if before:
                self.hold(thread_name)
            real(**kwargs)
            if not before:
                self.hold(thread_name)

        monkeypatch.setattr(services, "periodic_audit_flags_refresh", refresh)

    def hold(self, thread_name: str) -> None:
        if threading.current_thread().name == thread_name and not self.reached.is_set():
            self.reached.set()
            assert self.release.wait(60)


def start(name: str, target, errors: list) -> threading.Thread:
    def run():
        try:
            target()
        except Exception as exc:  # reported by the test, with the thread's name
            errors.append((name, exc))
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def waiting_for_a_lock_or_done(thread: threading.Thread) -> None:
    """Until the thread has finished or its connection waits for a lock (this test's database has no other)."""
    for _ in range(6000):  # a bound against a hang, not a measured time
        if not thread.is_alive():
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    raise AssertionError(f"{thread.name} neither finished nor waited for a lock")


def race(monkeypatch, *, first, second, before: bool) -> list:
    """Run `first` until it reaches the flags refresh, then `second` until it waits or ends, then let both end."""
    held = Held(monkeypatch, thread_name="first", before=before)
    errors: list = []
    one = start("first", first, errors)
    assert held.reached.wait(60), errors
    two = start("second", second, errors)
    waiting_for_a_lock_or_done(two)
    held.release.set()
    one.join(60)
    two.join(60)
    assert not one.is_alive() and not two.is_alive()
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("SC-02")
def test_a_cancel_racing_the_sweep_leaves_the_flags_equal_to_the_open_audits(world, monkeypatch):
    """The sweep plans the recertification audit of a certificate while its CB cancels the surveillance audit.
    Without the lock the cancel reads the audits before the sweep commits (no recertification audit yet) and
    its write, queued behind the sweep's, clears the recertification flag of the audit the sweep just planned."""
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    today = timezone.now().date()
    cert = fresh_certificate(world)
    (surveillance,) = open_audits(cert)
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(expires_on=today + timedelta(days=100))

    def cancel():
        services.audit_transition(actor=mgr, pk=surveillance.pk, name="cancel", reason="The plant is closed.")

    assert race(monkeypatch, first=scheduler.sweep, second=cancel, before=False) == []
    assert len(open_audits(cert, AuditKind.RECERTIFICATION)) == 1 and open_audits(cert) == []
    flags_match_audits()


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("SC-02")
def test_two_cancels_on_audits_of_one_certificate_at_once_leave_the_flags_equal_to_the_open_audits(world, monkeypatch):
    """Each cancel recomputes both flags; without the lock each reads the other's audit as still open, and the
    one that commits last leaves its flag set with neither audit open."""
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    surveillance = periodic_audit(world, AuditKind.SURVEILLANCE)
    recertification = periodic_audit(world, AuditKind.RECERTIFICATION)
    flags_match_audits()

    def cancel(audit):
        return lambda: services.audit_transition(actor=mgr, pk=audit.pk, name="cancel", reason="Postponed.")

    assert race(monkeypatch, first=cancel(surveillance), second=cancel(recertification), before=False) == []
    assert open_audits(fresh_certificate(world)) == []
    flags_match_audits()


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("SC-02")
def test_closing_a_recertification_audit_while_the_sweep_plans_the_surveillance_audit(world, monkeypatch):
    """The sweep has planned the surveillance audit and not committed; the CB closes the recertification audit,
    which renews the certificate and plans the next surveillance audit itself. They queue on the certificate:
    the close finds the sweep's audit and keeps it. Without the lock they deadlock (the close waits for the
    sweep's audit, the sweep for the certificate row the close wrote) or the close writes a stale flag."""
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    today = timezone.now().date()
    cert = fresh_certificate(world)
    (fixture_audit,) = open_audits(cert)
    services.audit_transition(actor=mgr, pk=fixture_audit.pk, name="cancel", reason="Moved.")
    recertification = periodic_audit(world, AuditKind.RECERTIFICATION)
    advance(mgr, recertification, world.a.records[Auditor], AuditState.REPORT_SUBMITTED)
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(next_audit_due=today)  # the sweep's surveillance candidate
    flags_match_audits()

    def close():
        services.audit_transition(actor=mgr, pk=recertification.pk, name="close")

    assert race(monkeypatch, first=scheduler.sweep, second=close, before=True) == []
    (surveillance,) = open_audits(cert)
    assert surveillance.due_on == today  # the sweep's
    assert open_audits(cert, AuditKind.RECERTIFICATION) == []
    flags_match_audits()
