"""Template context for every portal page: the principal, its organisations and the role-aware navigation."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..principals import PUBLIC, Principal
from ..roles import Role


def navigation(principal: Principal) -> list[tuple[str, str]]:
    """(label, url) of the sections this principal can use; sections arrive with their apps."""
    items = [(_("Home"), reverse("portal:home"))]
    if principal.is_authenticated:
        items.append((_("Certification bodies"), reverse("bodies:cb-list")))
        if not principal.is_manufacturer:
            items.append((_("Manufacturers"), reverse("manufacturers:manufacturer-list")))
        else:
            items.append(
                (_("My company"), reverse("manufacturers:manufacturer-detail", args=[principal.manufacturer_id]))
            )
        if principal.is_cb or principal.is_manufacturer or principal.is_supervisor or principal.is_operator:
            items.append((_("Applications"), reverse("certification:application-list")))
            items.append((_("Certificates"), reverse("certification:certificate-list")))
            if principal.is_cb and principal.has_role(Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER):
                items.append((_("Import"), reverse("imports:job-list")))
            items.append((_("Audits"), reverse("surveillance:audit-list")))
            items.append((_("Nonconformities"), reverse("surveillance:nonconformity-list")))
            items.append((_("PCNs"), reverse("surveillance:pcn-list")))
            items.append((_("Sanctions"), reverse("sanctions:index")))
        if (principal.is_supervisor and principal.country) or principal.is_operator:
            items.append((_("Dashboard"), reverse("portal:supervision")))
        if principal.is_cb or principal.is_operator or principal.is_supervisor:
            items.append((_("Auditors"), reverse("bodies:auditor-list")))
            items.append((_("Laboratories"), reverse("bodies:lab-list")))
        items.append((_("Reference data"), reverse("bodies:reference")))
        if principal.is_organisation_admin:
            items.append((_("API tokens"), reverse("portal:token-list")))
            items.append((_("Webhooks"), reverse("integrations:webhook-list")))
        if principal.organisation_id is not None:
            items.append((_("Watchlist"), reverse("integrations:watchlist")))
    else:
        items.append((_("Certification bodies"), reverse("bodies:cb-list")))
    items.append((_("Certificate register"), reverse("register:search")))
    items.append((_("Bulletin"), reverse("bulletin:index")))
    items.append((_("API"), reverse("api-docs")))
    return items


def unread_count(request) -> int:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.pk is None:  # an API token is nobody's inbox
        return 0
    from ..models import Notification

    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def portal(request) -> dict:
    principal = getattr(request, "principal", PUBLIC)
    return {
        "principal": principal,
        "nav_items": navigation(principal),
        "memberships": getattr(request, "memberships", []),
        "active_membership": getattr(request, "active_membership", None),
        "site_name": settings.IECQ_SITE_NAME,
        "unread_notifications": unread_count(request),
    }
