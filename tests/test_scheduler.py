"""The deadline sweep (SC-01 … SC-03) and notifications (PL-07)."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certification.choices import CertificateState
from certification.models import Certificate
from iecq import scheduler
from iecq.deadlines import Deadline
from iecq.models import EmailOutbox, Notification, Reminder
from iecq.roles import Role
from iecq.tasks import outbox_dispatch
from iecq.tenancy import scope
from surveillance.choices import AuditKind
from surveillance.models import Nonconformity, SurveillanceAudit

from .factories import SYSTEM

TODAY = date(2027, 5, 10)


def set_certificate(world, **fields):
    """Make side A's certificate the only thing due: the fixtures' other dates move far away first."""
    far = TODAY + timedelta(days=900)
    with scope(SYSTEM):
        SurveillanceAudit.objects.update(state="cancelled")
        Nonconformity.objects.update(due_on=far)
        # Cancelled around the services: clear the planned flags as audit_transition would.
        Certificate.objects.update(
            next_audit_due=far,
            expires_on=far + timedelta(days=365),
            surveillance_planned=False,
            recertification_planned=False,
        )
        Certificate.objects.filter(pk=world.a.records[Certificate].pk).update(**fields)
    from bodies.models import Auditor, CertificationBody, Equipment
    from sanctions.models import Appeal, CorrectiveActionRequest

    with scope(SYSTEM):
        CorrectiveActionRequest.objects.update(due_on=far)
        Appeal.objects.update(response_due_on=far)
        Equipment.objects.update(calibration_due_on=far)
        Auditor.objects.update(qualified_until=far)
        CertificationBody.objects.update(next_surveillance_due=far, approval_valid_until=far)


def reminders(**filters):
    with scope(SYSTEM):
        return list(Reminder.objects.filter(**filters).values_list("deadline_key", "step", "recipient_id"))


@pytest.mark.req("SC-01")
@pytest.mark.req("SV-01")
def test_the_sweep_plans_annual_audits_and_reminds_the_people_who_act(world):
    set_certificate(world, next_audit_due=TODAY + timedelta(days=20))
    with time_machine.travel(TODAY):
        report = scheduler.sweep()
    assert report.escalations["audits_plan_due"] >= 1
    with scope(SYSTEM):
        audit = SurveillanceAudit.objects.get(certificate=world.a.records[Certificate], state="planned")
    assert audit.kind == AuditKind.SURVEILLANCE and audit.due_on == TODAY + timedelta(days=20)
    key = f"audit_due:surveillance.surveillanceaudit:{audit.pk}:{audit.due_on.isoformat()}"
    sent = {(step, user) for k, step, user in reminders() if k == key}
    admin, _p = world.a.users[Role.CB_ADMIN]
    quality, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    clerk, _p = world.a.users[Role.CB_CLERK]
    assert ("30d", admin.pk) in sent and ("30d", quality.pk) in sent and ("30d", clerk.pk) not in sent
    assert Notification.objects.filter(recipient=admin, url=f"/surveillance/audits/{audit.pk}/").exists()


@pytest.mark.req("SC-02")
def test_each_reminder_is_sent_once_per_step(world):
    set_certificate(world, next_audit_due=TODAY + timedelta(days=20))
    with time_machine.travel(TODAY):
        first = scheduler.sweep()
        again = scheduler.sweep()
    assert first.reminders_sent > 0 and again.reminders_sent == 0
    assert again.reminders_already_sent == first.reminders_sent
    count = len(reminders())
    with time_machine.travel(TODAY + timedelta(days=14)):  # 6 days before: the 7-day step
        later = scheduler.sweep()
    assert later.reminders_sent > 0
    steps = {step for _k, step, _u in reminders()}
    assert {"30d", "7d"} <= steps and len(reminders()) == count + later.reminders_sent


@pytest.mark.req("SC-02")
def test_a_sweep_killed_half_way_loses_nothing_and_repeats_nothing(world, monkeypatch):
    set_certificate(world, next_audit_due=TODAY + timedelta(days=5))
    real_notify = scheduler.notify
    calls = {"n": 0}

    def dying_notify(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")
        return real_notify(*args, **kwargs)

    monkeypatch.setattr(scheduler, "notify", dying_notify)
    with time_machine.travel(TODAY), pytest.raises(SystemExit):
        scheduler.sweep()
    assert len(reminders()) == 2  # the third reminder's transaction rolled back with its notification
    monkeypatch.setattr(scheduler, "notify", real_notify)
    with time_machine.travel(TODAY):
        report = scheduler.sweep()
    with scope(SYSTEM):
        keys = list(Reminder.objects.values_list("deadline_key", "step", "recipient_id"))
        notifications = Notification.objects.count()
    assert len(keys) == len(set(keys)) == report.reminders_sent + 2
    assert notifications == len(keys)


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("SC-02")
def test_two_sweeps_at_once_send_each_reminder_once(world):
    set_certificate(world, next_audit_due=TODAY + timedelta(days=5))
    barrier = threading.Barrier(2)
    reports = []

    def run():
        try:
            barrier.wait(timeout=10)
            with time_machine.travel(TODAY):
                reports.append(scheduler.sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reports) == 2
    rows = reminders()
    assert len(rows) == len(set(rows)) == sum(r.reminders_sent for r in reports) > 0
    with scope(SYSTEM):
        assert (
            SurveillanceAudit.objects.filter(
                state="planned", kind="surveillance", certificate=world.a.records[Certificate]
            ).count()
            <= 1
        )


@pytest.mark.req("SC-03")
def test_the_sweep_costs_what_is_due_not_what_is_stored(world):
    from .factories import add_certification_records

    def queries() -> tuple[int, int]:
        """(queries run, rows read) by one sweep: both must not grow with records that are not due."""
        rows = [0]

        def count_rows(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if sql.lstrip().upper().startswith("SELECT") and context["cursor"].rowcount > 0:
                rows[0] += context["cursor"].rowcount
            return result

        with (
            time_machine.travel(TODAY),
            CaptureQueriesContext(connection) as ctx,
            connection.execute_wrapper(count_rows),
        ):
            scheduler.sweep()
        return len(ctx.captured_queries), rows[0]

    set_certificate(world)
    baseline = queries()
    from bodies.models import Auditor, Technology

    with scope(SYSTEM):
        tech = Technology.objects.get(code="capacitors")
    for i in range(15):  # many more records, none of them due
        add_certification_records(
            world.a.cb, world.a.manufacturer, f"Stored{i}", tech=tech, auditor=world.a.records[Auditor]
        )
    set_certificate(world)
    assert queries() == baseline


@pytest.mark.req("SC-01")
@pytest.mark.req("SV-06")
def test_an_unrecertified_certificate_expires_and_a_recertification_audit_is_planned(world):
    cert = world.a.records[Certificate]
    set_certificate(world, expires_on=TODAY + timedelta(days=100))
    with time_machine.travel(TODAY):
        scheduler.sweep()
    with scope(SYSTEM):
        assert SurveillanceAudit.objects.filter(certificate=cert, kind="recertification", state="planned").exists()
    with time_machine.travel(TODAY + timedelta(days=101)):
        report = scheduler.sweep()
    assert report.escalations["certificate_expire_overdue"] >= 1
    with scope(SYSTEM):
        assert Certificate.objects.get(pk=cert.pk).state == CertificateState.EXPIRED


def test_reminder_steps_and_leap_days():
    record = Certificate(pk=1)
    leap = Deadline("x", date(2028, 2, 29), record, 1, "due on a leap day")
    assert scheduler.reminder_step(leap, date(2028, 1, 29)) is None
    assert scheduler.reminder_step(leap, date(2028, 1, 30)) == "30d"
    assert scheduler.reminder_step(leap, date(2028, 2, 22)) == "7d"
    assert scheduler.reminder_step(leap, date(2028, 2, 29)) == "0d"
    assert scheduler.reminder_step(leap, date(2028, 3, 1)) == "overdue"


@pytest.mark.req("SC-01")
def test_today_is_the_utc_date_whatever_the_local_zone():
    # 23:30 UTC on the night European clocks go forward is already the next day in Auckland.
    with (
        time_machine.travel(datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),
        timezone.override("Pacific/Auckland"),
    ):
        assert scheduler.today_utc() == date(2026, 3, 28)


@pytest.mark.req("PL-07")
def test_notifications_are_mailed_from_the_outbox_after_commit(world, django_capture_on_commit_callbacks):
    set_certificate(world, next_audit_due=TODAY + timedelta(days=5))
    with time_machine.travel(TODAY), django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = scheduler.sweep()
    assert mail.outbox == [] and report.reminders_sent > 0
    outbox_dispatch.apply()
    with scope(SYSTEM):
        assert EmailOutbox.objects.filter(sent_at__isnull=True).count() == 0
    assert len(mail.outbox) == report.reminders_sent
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == len(mail.outbox)
    outbox_dispatch.apply()
    assert len(mail.outbox) == report.reminders_sent  # nothing sent twice
    assert callbacks


@pytest.mark.req("PL-07")
def test_the_portal_lists_notifications_and_serves_a_calendar(world):
    set_certificate(world, next_audit_due=TODAY + timedelta(days=5))
    with time_machine.travel(TODAY):
        scheduler.sweep()
    user, _p = world.a.users[Role.CB_ADMIN]
    client = Client()
    client.force_login(user)
    page = client.get("/").content.decode()
    assert "To do" in page and "due on" in page
    client.post("/notifications/calendar/renew/")
    user.refresh_from_db()
    with time_machine.travel(TODAY):
        feed = Client().get(f"/calendar.ics?token={user.calendar_token}")
    assert feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert body.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in body and "Alphaside" in body
    assert "Bravoside" not in body
    assert Client().get("/calendar.ics?token=wrong-token-of-enough-length").status_code == 404
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert client.post("/notifications/read/", {"id": "999999"}).status_code == 404


@pytest.mark.req("SC-01")
@pytest.mark.req("SA-04")
def test_appeal_answers_and_calibrations_are_reminded_before_they_fall_due(world):
    from bodies.models import Equipment
    from sanctions.models import Appeal

    set_certificate(world)  # nothing else due
    appeal, equipment = world.a.records[Appeal], world.a.records[Equipment]
    with scope(SYSTEM):
        Appeal.objects.filter(pk=appeal.pk).update(response_due_on=TODAY + timedelta(days=7))
        Equipment.objects.filter(pk=equipment.pk).update(calibration_due_on=TODAY + timedelta(days=30))
    with time_machine.travel(TODAY):
        scheduler.sweep()
    keys = {(key.split(":")[0], step) for key, step, _u in reminders()}
    assert ("appeal_response", "7d") in keys and ("calibration", "30d") in keys
