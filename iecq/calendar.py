"""A person's upcoming audits and deadlines as an iCalendar feed (RFC 5545), read through their scope."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from .principals import Principal
from .selectors import visible

HORIZON_DAYS = 400


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def events_for(principal: Principal, today: date | None = None) -> list[tuple[str, date, str, str]]:
    """(uid, date, summary, url) of what this principal must attend to, from today on."""
    from certification.choices import CertificateState
    from certification.models import Certificate
    from surveillance.choices import OPEN_AUDIT_STATES, NonconformityState
    from surveillance.models import Nonconformity, SurveillanceAudit

    today = today or timezone.now().date()
    until = today + timedelta(days=HORIZON_DAYS)
    events = []
    for audit in (
        visible(SurveillanceAudit, principal).filter(state__in=OPEN_AUDIT_STATES).select_related("manufacturer")
    ):
        day = audit.scheduled_for or audit.due_on
        if today <= day <= until:
            events.append(
                (
                    f"audit-{audit.pk}",
                    day,
                    f"{audit.get_kind_display()}: {audit.manufacturer}",
                    f"/surveillance/audits/{audit.pk}/",
                )
            )
    for nc in (
        visible(Nonconformity, principal)
        .filter(state__in=[NonconformityState.OPEN, NonconformityState.ACTION_SUBMITTED], due_on__range=(today, until))
        .select_related("manufacturer")
    ):
        events.append(
            (
                f"nc-{nc.pk}",
                nc.due_on,
                f"Corrective action due: {nc.manufacturer} ({nc.requirement})",
                f"/surveillance/nonconformities/{nc.pk}/",
            )
        )
    for cert in visible(Certificate, principal).filter(
        state__in=[CertificateState.VALID, CertificateState.SUSPENDED], expires_on__range=(today, until)
    ):
        events.append(
            (
                f"certificate-{cert.pk}",
                cert.expires_on,
                f"Certificate {cert.number} expires",
                f"/certification/certificates/{cert.pk}/",
            )
        )
    return sorted(events, key=lambda e: (e[1], e[0]))


def render(principal: Principal, *, base_url: str, today: date | None = None) -> str:
    stamp = datetime.now(tz=timezone.get_current_timezone()).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//IECQ platform//deadlines//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:IECQ deadlines",
    ]
    for uid, day, summary, url in events_for(principal, today):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@iecq-platform",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(summary)}",
            f"URL:{base_url.rstrip('/')}{url}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
