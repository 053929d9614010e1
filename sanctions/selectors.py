"""Reads of sanctions for the home page and the supervisory dashboard, always through the visibility rule."""

from __future__ import annotations

from django.utils.translation import gettext as _

from iecq.principals import Principal
from iecq.selectors import visible
from iecq.todo import CB_MANAGERS, CB_OFFICE, TodoItem, compact, is_cb, today, todo_item, url_with

from .choices import AppealState, CARState, RequestState
from .filters import AWAITING_RESPONSE
from .models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest

OPEN_APPEAL_STATES = [AppealState.LODGED, AppealState.ACKNOWLEDGED]


def _car_label(car: CorrectiveActionRequest) -> str:
    return f"{car.number} · {car.manufacturer} · {car.due_on:%Y-%m-%d}"


def overdue_cars(principal: Principal):
    """CARs the manufacturer has not answered by their due date (SA-01)."""
    return (
        visible(CorrectiveActionRequest, principal)
        .filter(state__in=AWAITING_RESPONSE, due_on__lt=today())
        .select_related("manufacturer")
        .order_by("due_on", "pk")
    )


def todo_for(principal: Principal) -> list[TodoItem]:
    """CARs overdue, to review or to answer; suspension requests and appeals to decide (PL-07)."""
    p = principal
    cars = visible(CorrectiveActionRequest, p).select_related("manufacturer").order_by("due_on", "pk")
    overdue = todo_item(
        "cars_overdue",
        _("Overdue corrective action requests") if not p.is_supervisor else _("Overdue CARs in your country"),
        overdue_cars(p),
        list_url=url_with("sanctions:car-list", overdue="true"),
        detail_url_name="sanctions:car-detail",
        label=_car_label,
        overdue=True,
    )
    if is_cb(p, CB_OFFICE):
        items = [
            overdue,
            todo_item(
                "appeals_open",
                _("Appeals to answer"),
                visible(Appeal, p).filter(state__in=OPEN_APPEAL_STATES).order_by("response_due_on", "pk"),
                list_url=url_with("sanctions:appeal-list", state=OPEN_APPEAL_STATES),
                detail_url_name="sanctions:appeal-detail",
                label=lambda a: f"{a} · {a.response_due_on:%Y-%m-%d}",
            ),
        ]
        if p.has_role(*CB_MANAGERS):
            items += [
                todo_item(
                    "cars_to_review",
                    _("CAR responses to review"),
                    cars.filter(state=CARState.RESPONDED),
                    list_url=url_with("sanctions:car-list", state=CARState.RESPONDED),
                    detail_url_name="sanctions:car-detail",
                    label=_car_label,
                ),
                todo_item(
                    "suspension_requests_open",
                    _("Requests to suspend a certificate, to decide"),
                    visible(CertificateSuspensionRequest, p)
                    .filter(state=RequestState.OPEN)
                    .select_related("certificate")
                    .order_by("created_at", "pk"),
                    list_url=url_with("sanctions:suspension-request-list", state=RequestState.OPEN),
                    detail_url_name="sanctions:suspension-request-detail",
                    label=lambda r: f"{r.certificate.number} · {r.created_at:%Y-%m-%d}",
                ),
            ]
        return compact(items)
    if p.is_manufacturer:
        return compact(
            [
                todo_item(
                    "cars_to_answer",
                    _("Corrective action requests to answer"),
                    cars.filter(state__in=AWAITING_RESPONSE),
                    list_url=url_with("sanctions:car-list", state=list(AWAITING_RESPONSE)),
                    detail_url_name="sanctions:car-detail",
                    label=_car_label,
                )
            ]
        )
    if p.is_supervisor:
        return compact([overdue])
    return []
