"""Reads of the bodies app, always through the visibility rule."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from iecq.principals import Principal
from iecq.selectors import get_visible, visible
from iecq.todo import CB_MANAGERS, TodoItem, compact, is_cb, today, todo_item, url_with

from .choices import CertificationBodyState, SuspensionRequestState
from .models import AccreditationBody, Auditor, CBSuspensionRequest, CertificationBody, Scheme, Technology

REACCREDITATION_HORIZON_DAYS = 180
AUDITOR_HORIZON_DAYS = 60


def certification_body_list(*, principal: Principal) -> QuerySet[CertificationBody]:
    return visible(CertificationBody, principal)


def certification_body_get(*, principal: Principal, pk: object, for_update: bool = False) -> CertificationBody:
    return get_visible(CertificationBody, principal, pk, for_update=for_update)


def certification_bodies_approval_ended(*, principal: Principal, today: date) -> QuerySet[CertificationBody]:
    """Approved CBs whose approval period ended before `today` (CB-09); found by index, not by scan."""
    return visible(CertificationBody, principal).filter(
        state=CertificationBodyState.APPROVED, approval_valid_until__lt=today
    )


def auditor_list(*, principal: Principal) -> QuerySet[Auditor]:
    return visible(Auditor, principal).select_related("certification_body")


def accreditation_body_list() -> QuerySet[AccreditationBody]:
    """Reference data: public."""
    return AccreditationBody.objects.all()


def technology_list() -> QuerySet[Technology]:
    return Technology.objects.all()


def scheme_list() -> QuerySet[Scheme]:
    return Scheme.objects.all()


def todo_for(principal: Principal) -> list[TodoItem]:
    """For the operator: CBs waiting for approval, approvals ending, CB suspension requests (PL-07); for CB
    managers: auditors whose qualification ends soon."""
    p = principal
    horizon = today() + timedelta(days=REACCREDITATION_HORIZON_DAYS)
    if p.is_operator:
        pending = [CertificationBodyState.APPLIED, CertificationBodyState.UNDER_ASSESSMENT]
        live = [CertificationBodyState.APPROVED, CertificationBodyState.SUSPENDED]
        return compact(
            [
                todo_item(
                    "cbs_pending_approval",
                    _("Certification bodies waiting for approval"),
                    visible(CertificationBody, p).filter(state__in=pending).order_by("created_at", "pk"),
                    list_url=url_with("bodies:cb-list", state=pending),
                    detail_url_name="bodies:cb-detail",
                    label=lambda cb: f"{cb} · {cb.get_state_display()}",
                ),
                todo_item(
                    "reaccreditations_due",
                    _("Reaccreditations due in the next %(days)s days") % {"days": REACCREDITATION_HORIZON_DAYS},
                    visible(CertificationBody, p)
                    .filter(state__in=live, approval_valid_until__lte=horizon)
                    .order_by("approval_valid_until", "pk"),
                    list_url=url_with("bodies:cb-list", state=live),
                    detail_url_name="bodies:cb-detail",
                    label=lambda cb: f"{cb} · {cb.approval_valid_until:%Y-%m-%d}",
                ),
                todo_item(
                    "cb_suspension_requests",
                    _("Requests to suspend a certification body, to decide"),
                    visible(CBSuspensionRequest, p)
                    .filter(state=SuspensionRequestState.OPEN)
                    .select_related("certification_body")
                    .order_by("created_at", "pk"),
                    list_url=url_with("bodies:suspension-request-list", state=SuspensionRequestState.OPEN),
                    detail_url_name="bodies:suspension-request-detail",
                    label=lambda r: f"{r.certification_body} · {r.created_at:%Y-%m-%d}",
                ),
            ]
        )
    if is_cb(p, CB_MANAGERS):
        soon = today() + timedelta(days=AUDITOR_HORIZON_DAYS)
        return compact(
            [
                todo_item(
                    "auditor_qualifications",
                    _("Auditor qualifications ending in the next %(days)s days") % {"days": AUDITOR_HORIZON_DAYS},
                    visible(Auditor, p).filter(is_active=True, qualified_until__lte=soon).order_by("qualified_until"),
                    list_url=url_with("bodies:auditor-list", is_active="true"),
                    detail_url_name="bodies:auditor-detail",
                    label=lambda a: f"{a} · {a.qualified_until:%Y-%m-%d}",
                )
            ]
        )
    return []
