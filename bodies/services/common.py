"""Checks shared by the bodies services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal
from iecq.roles import Role

CB_MANAGER_ROLES = (Role.CB_ADMIN, Role.CB_CERTIFICATION_MANAGER)


def is_cb_manager(actor: Principal, certification_body_id: int | None) -> bool:
    """The CB's administrator or certification manager."""
    return (
        certification_body_id is not None
        and actor.is_cb
        and actor.certification_body_id == certification_body_id
        and actor.has_role(*CB_MANAGER_ROLES)
    )


def require_operator(actor: Principal, message: str | None = None) -> None:
    if not actor.is_operator:
        raise Forbidden(message or _("Only the system operator may do this."))


def require_cb_manager_or_operator(actor: Principal, certification_body_id: int | None) -> None:
    if not (actor.is_operator or is_cb_manager(actor, certification_body_id)):
        raise Forbidden(_("Only the certification body's administrator or certification manager may do this."))


def apply_changes(instance: models.Model, changes: dict[str, Any], allowed: Iterable[str]) -> None:
    """Set the allowed fields; an unknown field is an error, never silently ignored."""
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationFailed(errors={name: [_("This field cannot be changed.")] for name in unknown})
    for name, value in changes.items():
        if isinstance(instance._meta.get_field(name), models.ManyToManyField):
            continue
        setattr(instance, name, value.strip() if isinstance(value, str) and name in ("name", "code") else value)


def not_in_future(field: str, day) -> None:
    if day > timezone.now().date():
        raise ValidationFailed(errors={field: [_("This date is in the future.")]})
