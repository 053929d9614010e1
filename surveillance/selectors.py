"""Reads of surveillance for the home page, always through the visibility rule."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

from iecq.principals import Principal
from iecq.roles import Role
from iecq.selectors import visible
from iecq.todo import CB_MANAGERS, CB_OFFICE, TodoItem, compact, is_cb, month_bounds, today, todo_item, url_with

from .choices import OPEN_AUDIT_STATES, NonconformityState, PCNState
from .models import Nonconformity, ProcessChangeNotification, SurveillanceAudit

COMING_AUDITS_DAYS = 90


def _audit_label(audit: SurveillanceAudit) -> str:
    when = audit.scheduled_for or audit.due_on
    return f"{audit.get_kind_display()} · {audit.manufacturer} · {when:%Y-%m-%d}"


def _nc_label(nc: Nonconformity) -> str:
    return f"{nc.get_grade_display()} · {nc.requirement} · {nc.manufacturer} · {nc.due_on:%Y-%m-%d}"


def open_audits_due_by(principal: Principal, last_day):
    return (
        visible(SurveillanceAudit, principal)
        .filter(state__in=OPEN_AUDIT_STATES, due_on__lte=last_day)
        .select_related("manufacturer")
        .order_by("due_on", "pk")
    )


def overdue_audits(principal: Principal):
    """Open audits past their due date (SV-06)."""
    return open_audits_due_by(principal, today() - timedelta(days=1))


def overdue_nonconformities(principal: Principal):
    return (
        visible(Nonconformity, principal)
        .filter(due_on__lt=today())
        .exclude(state=NonconformityState.CLOSED)
        .select_related("manufacturer")
        .order_by("due_on", "pk")
    )


def todo_for(principal: Principal) -> list[TodoItem]:
    """Audits to hold, nonconformities to answer or verify, PCNs to classify (PL-07)."""
    p = principal
    _first, month_end = month_bounds(today())
    audits_url = url_with("surveillance:audit-list", state=OPEN_AUDIT_STATES, due_before=month_end.isoformat())
    nonconformities = visible(Nonconformity, p).select_related("manufacturer").order_by("due_on", "pk")
    to_verify = nonconformities.filter(state=NonconformityState.ACTION_SUBMITTED)
    to_verify_url = url_with("surveillance:nonconformity-list", state=NonconformityState.ACTION_SUBMITTED)
    if is_cb(p, CB_OFFICE):
        items = [
            todo_item(
                "audits_this_month",
                _("Audits due this month"),
                open_audits_due_by(p, month_end),
                list_url=audits_url,
                detail_url_name="surveillance:audit-detail",
                label=_audit_label,
            ),
            todo_item(
                "pcns_to_classify",
                _("Process change notifications waiting for classification"),
                visible(ProcessChangeNotification, p)
                .filter(state=PCNState.SUBMITTED)
                .select_related("manufacturer")
                .order_by("created_at", "pk"),
                list_url=url_with("surveillance:pcn-list", state=PCNState.SUBMITTED),
                detail_url_name="surveillance:pcn-detail",
                label=lambda pcn: f"{pcn.title} · {pcn.manufacturer}",
            ),
        ]
        if p.has_role(*CB_MANAGERS):
            items.append(
                todo_item(
                    "nonconformities_to_verify",
                    _("Corrective actions to verify"),
                    to_verify,
                    list_url=to_verify_url,
                    detail_url_name="surveillance:nonconformity-detail",
                    label=_nc_label,
                )
            )
        return compact(items)
    if p.is_cb and p.has_role(Role.CB_AUDITOR, Role.CB_TECHNICAL_REVIEWER):
        mine = open_audits_due_by(p, month_end).filter(team__auditor__user_id=p.user_id).distinct()
        return compact(
            [
                todo_item(
                    "my_audits_this_month",
                    _("Your audits due this month"),
                    mine,
                    list_url=audits_url,
                    detail_url_name="surveillance:audit-detail",
                    label=_audit_label,
                ),
                todo_item(
                    "nonconformities_to_verify",
                    _("Corrective actions to verify from your audits"),
                    to_verify.filter(audit__team__auditor__user_id=p.user_id).distinct(),
                    list_url=to_verify_url,
                    detail_url_name="surveillance:nonconformity-detail",
                    label=_nc_label,
                ),
            ]
        )
    if p.is_manufacturer:
        return compact(
            [
                todo_item(
                    "nonconformities_to_answer",
                    _("Nonconformities waiting for your corrective action"),
                    nonconformities.filter(state=NonconformityState.OPEN),
                    list_url=url_with("surveillance:nonconformity-list", state=NonconformityState.OPEN),
                    detail_url_name="surveillance:nonconformity-detail",
                    label=_nc_label,
                ),
                todo_item(
                    "audits_coming",
                    _("Audits in the next %(days)s days") % {"days": COMING_AUDITS_DAYS},
                    open_audits_due_by(p, today() + timedelta(days=COMING_AUDITS_DAYS)),
                    list_url=url_with(
                        "surveillance:audit-list",
                        state=OPEN_AUDIT_STATES,
                        due_before=(today() + timedelta(days=COMING_AUDITS_DAYS)).isoformat(),
                    ),
                    detail_url_name="surveillance:audit-detail",
                    label=_audit_label,
                ),
            ]
        )
    if p.is_supervisor:
        yesterday = (today() - timedelta(days=1)).isoformat()
        return compact(
            [
                todo_item(
                    "audits_overdue",
                    _("Overdue audits in your country"),
                    overdue_audits(p),
                    list_url=url_with("surveillance:audit-list", state=OPEN_AUDIT_STATES, due_before=yesterday),
                    detail_url_name="surveillance:audit-detail",
                    label=_audit_label,
                    overdue=True,
                ),
                todo_item(
                    "nonconformities_overdue",
                    _("Overdue corrective actions in your country"),
                    overdue_nonconformities(p),
                    list_url=url_with("surveillance:nonconformity-list", overdue="true"),
                    detail_url_name="surveillance:nonconformity-detail",
                    label=_nc_label,
                    overdue=True,
                ),
            ]
        )
    return []
