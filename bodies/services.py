"""Writes on certification bodies: each takes the acting principal, runs atomically and logs its transitions."""

from __future__ import annotations

from functools import partial

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from iecq.errors import Forbidden, ValidationFailed
from iecq.principals import Principal
from iecq.roles import Role
from iecq.tenancy import service
from iecq.transitions import declared_transitions, transition

from . import selectors, tasks
from .models import CertificationBody

EDITABLE_FIELDS = ("name", "legal_name", "country", "website", "email")


def _check_unique(*, name: str, country: str, exclude_pk: int | None = None) -> None:
    qs = CertificationBody._base_manager.filter(name__iexact=name.strip(), country=country)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationFailed(errors={"name": [_("A certification body with this name exists in this country.")]})


@service
def certification_body_create(
    *, actor: Principal, name: str, country: str, legal_name: str = "", website: str = "", email: str = ""
) -> CertificationBody:
    """Register a CB's application to operate under IECQ; only the system operator records it."""
    if not actor.is_operator:
        raise Forbidden(_("Only the system operator registers certification bodies."))
    _check_unique(name=name, country=country)
    try:
        with transaction.atomic():
            return CertificationBody.objects.create(
                name=name.strip(), country=country, legal_name=legal_name, website=website, email=email
            )
    except IntegrityError:  # a concurrent registration of the same name won the race
        raise ValidationFailed(
            errors={"name": [_("A certification body with this name exists in this country.")]}
        ) from None


@service
def certification_body_update(*, actor: Principal, pk: object, **changes: str) -> CertificationBody:
    """Change a CB's master data: the operator, or the CB's own administrator."""
    cb = selectors.certification_body_get(principal=actor, pk=pk, for_update=True)
    own_admin = actor.is_cb and actor.certification_body_id == cb.pk and actor.has_role(Role.CB_ADMIN)
    if not (actor.is_operator or own_admin):
        raise Forbidden(_("Only the operator or the CB's administrator may change its details."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(errors={field: [_("This field cannot be changed.")] for field in sorted(unknown)})
    if "name" in changes or "country" in changes:
        _check_unique(name=changes.get("name", cb.name), country=changes.get("country", cb.country), exclude_pk=cb.pk)
    for field, value in changes.items():
        setattr(cb, field, value.strip() if field == "name" else value)
    cb.save()
    return cb


@service
def certification_body_transition(*, actor: Principal, pk: object, name: str, reason: str = "") -> CertificationBody:
    """Take a lifecycle decision on a CB (CB-07) and tell the CB's managers once it is committed."""
    cb = selectors.certification_body_get(principal=actor, pk=pk, for_update=True)
    log = transition(cb, name, actor=actor, reason=reason)
    tasks.certification_body_decision_notify.enqueue(log_id=log.pk, principal=actor)
    return cb


CB_TRANSITION_SERVICES = {
    name: partial(certification_body_transition, name=name) for name in declared_transitions(CertificationBody)
}
