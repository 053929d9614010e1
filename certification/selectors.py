"""Reads of the certification app for the home page, always through the visibility rule."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

from iecq.errors import NotFound
from iecq.principals import Principal
from iecq.roles import Role
from iecq.selectors import visible
from iecq.todo import CB_OFFICE, CB_REVIEWERS, TodoItem, compact, is_cb, today, todo_item, url_with

from .choices import ApplicationState as A
from .choices import CertificateState as C
from .models import Application, Certificate

# What the certificate's PDF prints besides the certificate itself (certification/pdf.py).
DOCUMENT_RELATED = ("manufacturer", "certification_body", "scheme")
DOCUMENT_PREFETCH = ("sites", "technologies")
EXPIRY_HORIZON_DAYS = 120
# Stages at which the CB, not the applicant, must act next.
AWAITING_CB = [A.SUBMITTED, A.UNDER_REVIEW, A.QMS_ACCEPTED, A.TECHNOLOGY_QUALIFICATION, A.PRODUCT_CERTIFICATION]
# Stages at which the applicant must act next: finish and submit, or correct the QMS findings.
AWAITING_APPLICANT = [A.INQUIRY, A.QMS_NOT_ACCEPTED]


def todo_for(principal: Principal) -> list[TodoItem]:
    """Applications waiting on this person's organisation and certificates about to expire (PL-07)."""
    p = principal
    applications = visible(Application, p).select_related("manufacturer")
    expiring = (
        visible(Certificate, p)
        .filter(state__in=[C.VALID, C.SUSPENDED], expires_on__lte=today() + timedelta(days=EXPIRY_HORIZON_DAYS))
        .select_related("manufacturer")
        .order_by("expires_on", "pk")
    )
    horizon = (today() + timedelta(days=EXPIRY_HORIZON_DAYS)).isoformat()
    expiring_url = url_with("certification:certificate-list", state=[C.VALID, C.SUSPENDED], expires_before=horizon)
    if is_cb(p, CB_REVIEWERS + CB_OFFICE):
        waiting = AWAITING_CB if p.has_role(*CB_REVIEWERS) else [A.SUBMITTED]
        return compact(
            [
                todo_item(
                    "applications_awaiting_cb",
                    _("Applications awaiting your review or decision"),
                    applications.filter(state__in=waiting).order_by("submitted_on", "pk"),
                    list_url=url_with("certification:application-list", state=waiting),
                    detail_url_name="certification:application-detail",
                    label=lambda a: f"{a.reference} · {a.manufacturer} · {a.get_state_display()}",
                ),
                todo_item(
                    "certificates_expiring",
                    _("Certificates expiring in the next %(days)s days") % {"days": EXPIRY_HORIZON_DAYS},
                    expiring,
                    list_url=expiring_url,
                    detail_url_name="certification:certificate-detail",
                    label=lambda c: f"{c.number} · {c.manufacturer} · {c.expires_on:%Y-%m-%d}",
                ),
            ]
        )
    if p.is_manufacturer and p.has_role(Role.MF_ADMIN, Role.MF_QUALITY_MANAGER, Role.MF_SUBMITTER):
        return compact(
            [
                todo_item(
                    "applications_awaiting_you",
                    _("Applications to complete, submit or correct"),
                    applications.filter(state__in=AWAITING_APPLICANT).order_by("created_at", "pk"),
                    list_url=url_with("certification:application-list", state=AWAITING_APPLICANT),
                    detail_url_name="certification:application-detail",
                    label=lambda a: f"{a.reference} · {a.get_state_display()}",
                ),
                todo_item(
                    "certificates_expiring",
                    _("Your certificates expiring in the next %(days)s days") % {"days": EXPIRY_HORIZON_DAYS},
                    expiring,
                    list_url=expiring_url,
                    detail_url_name="certification:certificate-detail",
                    label=lambda c: f"{c.number} · {c.expires_on:%Y-%m-%d}",
                ),
            ]
        )
    return []


def certificate_for_document(principal: Principal, pk: object) -> Certificate:
    """One certificate the principal sees, with what its PDF prints: holder, CB and scheme in the same query, sites
    and technologies in one query each (read one by one, the page took six queries before it was drawn). A
    certificate that does not exist and one the principal may not see both raise NotFound."""
    rows = visible(Certificate, principal).select_related(*DOCUMENT_RELATED).prefetch_related(*DOCUMENT_PREFETCH)
    try:
        return rows.get(pk=int(pk))
    except (Certificate.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
