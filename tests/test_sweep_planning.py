"""The sweep's audit planning reads only what is to plan (SV-01, SV-06, SC-03).

`Certificate.surveillance_planned` / `recertification_planned` say whether an open audit of the kind exists.
Every flow that opens or ends a periodic audit keeps them right in its own transaction, and the sweep's
candidates are the valid certificates whose flag is false (through partial indexes), so an already planned
certificate is never read again. docs/performance.md, "What the measurements changed".
"""

from __future__ import annotations

import importlib
import json
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from bodies.models import Auditor
from certification.choices import CertificateState
from certification.models import Certificate
from certification.services import certificate_transition
from iecq import scheduler
from iecq.roles import Role
from iecq.tenancy import scope
from surveillance import services
from surveillance.choices import OPEN_AUDIT_STATES, AuditKind, PCNImpact
from surveillance.models import SurveillanceAudit

from .factories import SYSTEM

pytestmark = [pytest.mark.req("SV-01"), pytest.mark.req("SC-03")]


def flags_match_audits() -> None:
    """The invariant: each certificate's flags say exactly whether an open audit of the kind exists."""
    with scope(SYSTEM):
        open_kinds = set(
            SurveillanceAudit.objects.filter(
                state__in=OPEN_AUDIT_STATES, kind__in=[AuditKind.SURVEILLANCE, AuditKind.RECERTIFICATION]
            ).values_list("certificate_id", "kind")
        )
        rows = list(Certificate.objects.values_list("pk", "surveillance_planned", "recertification_planned"))
    assert rows
    for pk, surveillance, recertification in rows:
        assert surveillance == ((pk, AuditKind.SURVEILLANCE) in open_kinds), f"certificate {pk}, surveillance"
        assert recertification == ((pk, AuditKind.RECERTIFICATION) in open_kinds), f"certificate {pk}, recert."


def fresh_certificate(world) -> Certificate:
    with scope(SYSTEM):
        return Certificate.objects.get(pk=world.a.records[Certificate].pk)


def open_audits(cert, kind=AuditKind.SURVEILLANCE) -> list[SurveillanceAudit]:
    with scope(SYSTEM):
        return list(SurveillanceAudit.objects.filter(certificate=cert, kind=kind, state__in=OPEN_AUDIT_STATES))


def hold_audit(mgr, audit, *, auditor, close: bool = True) -> None:
    """Team, date, start, report, then close (through the services, as a CB does)."""
    today = timezone.now().date()
    with scope(SYSTEM):
        has_team = audit.team.exists()  # the fixtures' audit has its lead auditor already
    if not has_team:
        services.audit_team_assign(actor=mgr, audit=audit.pk, auditor=auditor, role="lead")
    services.audit_update(actor=mgr, pk=audit.pk, scheduled_for=today)
    services.audit_transition(actor=mgr, pk=audit.pk, name="schedule")
    services.audit_transition(actor=mgr, pk=audit.pk, name="start")
    services.audit_update(actor=mgr, pk=audit.pk, report="QMS and production audited.")
    services.audit_transition(actor=mgr, pk=audit.pk, name="submit_report")
    if close:
        services.audit_transition(actor=mgr, pk=audit.pk, name="close")


def candidates(today) -> dict:
    with scope(SYSTEM):
        found = services.planned_due_candidates(actor=SYSTEM, today=today)
        return {kind: list(qs.values_list("pk", flat=True)) for kind, qs in found.items()}


@pytest.mark.req("SV-06")
def test_every_flow_that_opens_or_ends_an_audit_keeps_the_flags_right(world):
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    auditor = world.a.records[Auditor]
    cert = fresh_certificate(world)
    flags_match_audits()  # the fixtures' open audit
    assert cert.surveillance_planned

    # Cancelled: the flag clears, and the sweep plans it again once it falls within the planning window.
    (audit,) = open_audits(cert)
    services.audit_transition(actor=mgr, pk=audit.pk, name="cancel", reason="The plant is closed that week.")
    flags_match_audits()
    assert not fresh_certificate(world).surveillance_planned
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(next_audit_due=timezone.now().date() + timedelta(days=20))
    report = scheduler.sweep()
    assert report.escalations["audits_plan_due"] == 1
    flags_match_audits()
    (audit,) = open_audits(cert)

    # Closed: the next annual audit is planned at once (SV-01), due when next_audit_due says.
    hold_audit(mgr, audit, auditor=auditor)
    flags_match_audits()
    cert = fresh_certificate(world)
    (following,) = open_audits(cert)
    assert following.pk != audit.pk and following.due_on == cert.next_audit_due and following.state == "planned"
    assert scheduler.sweep().escalations["audits_plan_due"] == 0  # nothing left to plan

    # Recertification planned by a person, then held: the certificate is renewed, its flag clears, and the
    # surveillance audit already open stays the one planned.
    recert = services.audit_plan(
        actor=mgr, certificate=cert.pk, kind=AuditKind.RECERTIFICATION, due_on=timezone.now().date()
    )
    flags_match_audits()
    assert fresh_certificate(world).recertification_planned
    expires_before = cert.expires_on
    hold_audit(mgr, recert, auditor=auditor)
    flags_match_audits()
    cert = fresh_certificate(world)
    assert cert.expires_on > expires_before and not cert.recertification_planned and cert.surveillance_planned

    # A special audit (a PCN needing assessment) is no periodic audit: the flags do not move.
    _u, mf = world.a.users[Role.MF_QUALITY_MANAGER]
    pcn = services.pcn_submit(
        actor=mf, certificate=cert.pk, title="New reflow oven", description="Line 2", planned_on=timezone.now().date()
    )
    services.pcn_classify(actor=mgr, pk=pcn.pk, impact=PCNImpact.NEEDS_ASSESSMENT, reason="Process change")
    flags_match_audits()

    # Certificate transitions leave the audits (and so the flags) as they are; the sweep's partial indexes
    # take only valid certificates.
    for name in ("suspend", "reinstate", "withdraw"):
        certificate_transition(actor=mgr, pk=cert.pk, name=name, reason=f"{name} for the test")
        flags_match_audits()
    assert fresh_certificate(world).state == CertificateState.WITHDRAWN
    assert cert.pk not in candidates(timezone.now().date() + timedelta(days=400))[AuditKind.SURVEILLANCE]


def test_the_sweep_reads_only_unplanned_due_certificates_and_plans_them(world):
    today = timezone.now().date()
    cert_a, cert_b = fresh_certificate(world), world.b.records[Certificate]
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(certificate=cert_a).update(state="cancelled")
        # Both fall due within the planning window; only A's audit is not planned (B's fixture audit is open).
        Certificate.objects.filter(pk=cert_a.pk).update(surveillance_planned=False)
        Certificate.objects.filter(pk__in=[cert_a.pk, cert_b.pk]).update(next_audit_due=today + timedelta(days=20))
    flags_match_audits()
    assert candidates(today)[AuditKind.SURVEILLANCE] == [cert_a.pk]  # B, already planned, is not even read

    with scope(SYSTEM):
        sql = str(services.planned_due_candidates(actor=SYSTEM, today=today)[AuditKind.SURVEILLANCE].query)
    assert '"surveillance_planned"' in sql and "EXISTS" not in sql.upper()  # no anti-join over the audits

    planned = scheduler.sweep().escalations["audits_plan_due"]
    assert planned == 1
    flags_match_audits()
    assert candidates(today)[AuditKind.SURVEILLANCE] == []
    assert scheduler.sweep().escalations["audits_plan_due"] == 0  # idempotent


def test_the_planning_queries_are_served_by_the_partial_indexes(world):
    """With sequential scans off, the planner must be able to answer each candidate query from its index:
    the query's conditions imply the index's (a change to either that breaks this is a full scan at scale)."""
    today = timezone.now().date()
    with scope(SYSTEM):
        found = services.planned_due_candidates(actor=SYSTEM, today=today)
        compiled = {kind: qs.query.sql_with_params() for kind, qs in found.items()}
    expected = {
        AuditKind.SURVEILLANCE: "certificate_sv_unplanned_idx",
        AuditKind.RECERTIFICATION: "certificate_rc_unplanned_idx",
    }
    with connection.cursor() as cursor:
        # Statistics of the rows there are now: the dead rows earlier tests left (autovacuum may be off) can make
        # another tiny partial index look cheaper, and the choice then depends on which tests ran before.
        cursor.execute("ANALYZE certification_certificate")
        cursor.execute("SET LOCAL enable_seqscan = off")
        for kind, (sql, params) in compiled.items():
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.dumps(plan) if not isinstance(plan, str) else plan
            assert expected[kind] in plan, plan


def test_a_closed_surveillance_audit_and_an_open_special_one_do_not_count_as_planned(world):
    """The old anti-join excluded a certificate with *any* surveillance audit and *any* open audit."""
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    today = timezone.now().date()
    cert = fresh_certificate(world)
    (audit,) = open_audits(cert)
    hold_audit(mgr, audit, auditor=world.a.records[Auditor])
    (following,) = open_audits(cert)
    services.audit_transition(actor=mgr, pk=following.pk, name="cancel", reason="Moved to next quarter.")
    services.audit_plan(
        actor=mgr,
        certificate=cert.pk,
        kind=AuditKind.SPECIAL,
        due_on=today + timedelta(days=10),
        trigger="complaint",
    )
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(next_audit_due=today + timedelta(days=20))
    flags_match_audits()
    scheduler.sweep()
    (planned,) = open_audits(cert)
    assert planned.due_on == today + timedelta(days=20)
    flags_match_audits()


def test_a_flag_that_drifted_is_repaired_by_the_sweep_and_not_read_again(world):
    """An audit written around the services (an old import, a shell) leaves the flag false; the sweep's insert
    meets the unique constraint, takes that as proof the audit is planned and records it."""
    today = timezone.now().date()
    cert = fresh_certificate(world)
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(surveillance_planned=False, next_audit_due=today)
    assert cert.pk in candidates(today)[AuditKind.SURVEILLANCE]
    assert scheduler.sweep().escalations["audits_plan_due"] == 0
    assert len(open_audits(cert)) == 1
    flags_match_audits()
    assert cert.pk not in candidates(today)[AuditKind.SURVEILLANCE]


@pytest.mark.req("SV-06")
def test_the_recertification_audit_is_planned_once_and_then_no_longer_read(world):
    today = timezone.now().date()
    cert = fresh_certificate(world)
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(expires_on=today + timedelta(days=100))
    assert candidates(today)[AuditKind.RECERTIFICATION] == [cert.pk]
    with time_machine.travel(timezone.now()):
        assert scheduler.sweep().escalations["audits_plan_due"] == 1
    (recert,) = open_audits(cert, AuditKind.RECERTIFICATION)
    assert recert.due_on == today + timedelta(days=70)
    flags_match_audits()
    assert candidates(today)[AuditKind.RECERTIFICATION] == []


def test_the_migration_backfills_the_flags_from_the_open_audits(world):
    """certification 0006 on a database that already holds audits: set-based, from the audits table."""
    migration = importlib.import_module("certification.migrations.0006_periodic_audit_planned")
    _u, mgr = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    cert = fresh_certificate(world)
    services.audit_plan(actor=mgr, certificate=cert.pk, kind=AuditKind.RECERTIFICATION, due_on=timezone.now().date())
    with scope(SYSTEM):
        Certificate.objects.update(surveillance_planned=False, recertification_planned=False)
    with connection.cursor() as cursor:
        cursor.execute(migration.backfill("surveillance", "surveillance_planned"))
        cursor.execute(migration.backfill("recertification", "recertification_planned"))
    flags_match_audits()
    cert = fresh_certificate(world)
    assert cert.surveillance_planned and cert.recertification_planned


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("SC-02")
def test_two_sweeps_at_once_plan_the_audit_once_and_both_leave_the_flag_set(world):
    import threading

    today = timezone.now().date()
    cert = fresh_certificate(world)
    with scope(SYSTEM):
        SurveillanceAudit.objects.filter(certificate=cert).update(state="cancelled")
        Certificate.objects.filter(pk=cert.pk).update(surveillance_planned=False, next_audit_due=today)
    barrier = threading.Barrier(2)
    planned = []

    def run():
        try:
            barrier.wait(timeout=10)
            planned.append(scheduler.sweep().escalations["audits_plan_due"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(planned) == [0, 1]  # one sweep planned it; the other met the unique constraint
    assert len(open_audits(cert)) == 1
    flags_match_audits()
