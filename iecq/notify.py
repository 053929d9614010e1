"""Notifications (PL-07): in-app rows and emails written in the caller's transaction, mailed after commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from .models import EmailOutbox, Membership, Notification, User
from .rls import crossing
from .roles import OrganisationKind, Role


def people(
    *,
    certification_body_id: int | None = None,
    manufacturer_id: int | None = None,
    operator: bool = False,
    roles: Iterable[str] = (),
) -> list[User]:
    """Active users of the named organisations holding one of `roles` (any role when empty)."""
    memberships = Membership.objects_unscoped.filter(is_active=True, user__is_active=True).select_related("user")
    selectors = []
    if certification_body_id is not None:
        selectors.append(memberships.filter(organisation__certification_body_id=certification_body_id))
    if manufacturer_id is not None:
        selectors.append(memberships.filter(organisation__manufacturer_id=manufacturer_id))
    if operator:
        selectors.append(memberships.filter(organisation__kind=OrganisationKind.OPERATOR))
    roles = list(roles)
    users: dict[int, User] = {}
    with crossing("identity"):  # the people to notify belong to other organisations than the actor's
        for qs in selectors:
            for membership in qs.filter(role__in=roles) if roles else qs:
                users[membership.user_id] = membership.user
    return list(users.values())


CB_MANAGERS = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER)
MANUFACTURER_QUALITY = (Role.MF_ADMIN, Role.MF_QUALITY_MANAGER)


def notify(recipients: Iterable[User], *, title: str, body: str = "", url: str = "") -> int:
    """Tell each recipient in the portal and by email; nothing leaves before the transaction commits."""
    count = 0
    for user in recipients:
        Notification.objects.create(recipient=user, title=title[:300], body=body, url=url[:300])
        if user.email:
            EmailOutbox.objects.create(
                to=user.email,
                subject=title[:300],
                body=body + (f"\n\n{settings.IECQ_PUBLIC_BASE_URL.rstrip('/')}{url}" if url else ""),
                message_id=f"<{uuid.uuid4().hex}@iecq-platform>",
            )
        count += 1
    if count:
        from .tasks import outbox_dispatch

        transaction.on_commit(lambda: outbox_dispatch.delay(), robust=True)
    return count
