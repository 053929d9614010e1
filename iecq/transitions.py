"""The one way to change a record's state (PL-02).

`transition()` runs a django-fsm-2 transition on a row the caller locked with `select_for_update`
(selectors' `for_update=True`), checks that the principal sees the record (404), that the state
machine allows it (409) and that the principal's role may do it (403), then saves and appends
who, when, from, to and why to the append-only `TransitionLog`, all in the caller's transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin, can_proceed, has_transition_perm

from .errors import Forbidden, IllegalTransition, NotFound, ValidationFailed
from .models import TransitionLog
from .principals import Principal
from .tenancy import tenant_values


@dataclass(frozen=True)
class TransitionInfo:
    """A transition as the portal and the API present it."""

    name: str
    label: str
    target: str
    reason_required: bool
    danger: bool


def fsm_field(model: type[models.Model]) -> FSMFieldMixin:
    fields = [f for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)]
    if len(fields) != 1:
        raise TypeError(f"{model.__name__} must have exactly one FSM field, has {len(fields)}.")
    return fields[0]


def declared_transitions(model: type[models.Model]) -> dict[str, TransitionInfo]:
    """Every transition the model declares, by method name."""
    field = fsm_field(model)
    result: dict[str, TransitionInfo] = {}
    for t in field.get_all_transitions(model):
        if t.name not in result:
            result[t.name] = TransitionInfo(
                name=t.name,
                label=str(t.custom.get("label", t.name.replace("_", " ").capitalize())),
                target=str(t.target),
                reason_required=bool(t.custom.get("reason_required", False)),
                danger=bool(t.custom.get("danger", False)),
            )
    return result


def available_transitions(instance: models.Model, principal: Principal) -> list[TransitionInfo]:
    """The transitions this principal may perform on this record now (state and role both allow)."""
    field = fsm_field(type(instance))
    declared = declared_transitions(type(instance))
    method = getattr(instance, f"get_available_user_{field.name}_transitions")
    seen: list[TransitionInfo] = []
    for t in method(principal):
        if t.custom.get("appeal_only"):  # taken only through an upheld appeal, never offered as a button
            continue
        info = declared[t.name]
        if info not in seen:
            seen.append(info)
    return seen


_appeal_reversal: ContextVar[bool] = ContextVar("iecq_appeal_reversal", default=False)


@contextlib.contextmanager
def appeal_reversal() -> Iterator[None]:
    """Around the reversal an upheld appeal takes (sanctions.services.appeal_transition): the only place where
    a transition marked `appeal_only` (restore_on_appeal, reopen_on_appeal) may run."""
    token = _appeal_reversal.set(True)
    try:
        yield
    finally:
        _appeal_reversal.reset(token)


def transition(
    instance: models.Model, name: str, *, actor: Principal, reason: str = "", **kwargs: Any
) -> TransitionLog:
    """Perform transition `name` on a locked `instance` as `actor`, and log it; returns the log row."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside the service's transaction.")
    model = type(instance)
    if not model._default_manager.visible_to(actor).filter(pk=instance.pk).exists():
        raise NotFound()
    declared = declared_transitions(model)
    if name not in declared:
        raise IllegalTransition(
            _("A %(model)s has no transition '%(name)s'.") % {"model": model._meta.verbose_name, "name": name},
            code="unknown_transition",
        )
    bound = getattr(instance, name)
    here = bound._django_fsm.get_transition(getattr(instance, fsm_field(model).name))
    if here is not None and here.custom.get("appeal_only") and not _appeal_reversal.get():
        raise Forbidden(
            _("“%(action)s” is taken only by deciding an appeal against the decision.")
            % {"action": declared[name].label}
        )
    field = fsm_field(model)
    source = getattr(instance, field.name)
    if can_proceed(bound, check_conditions=False) and not can_proceed(bound):
        blockers = getattr(instance, "transition_blockers", lambda _name: [])(name)
        raise IllegalTransition(
            _("The conditions for “%(action)s” are not met.") % {"action": declared[name].label},
            code="conditions_not_met",
            errors={"conditions": blockers or [_("A condition of this transition is not met.")]},
        )
    if not can_proceed(bound):
        current = getattr(instance, f"get_{field.name}_display")()
        raise IllegalTransition(
            _("“%(action)s” is not possible: this %(model)s is %(state)s.")
            % {"action": declared[name].label, "model": model._meta.verbose_name, "state": current}
        )
    if not has_transition_perm(bound, actor):
        raise Forbidden(
            _("Your role may not do “%(action)s” on this %(model)s.")
            % {"action": declared[name].label, "model": model._meta.verbose_name}
        )
    reason = (reason or "").strip()
    if declared[name].reason_required and not reason:
        raise ValidationFailed(
            _("A reason is required."), errors={"reason": [_("A reason is required for this decision.")]}
        )
    bound(**kwargs)
    instance.save()
    return log_append(
        instance=instance,
        transition=name,
        source=source,
        target=getattr(instance, field.name),
        reason=reason,
        actor=actor,
        field=field.name,
    )


def log_append(
    *, instance: models.Model, transition: str, source: str, target: str, reason: str, actor: Principal, field: str
) -> TransitionLog:
    """Append one row to the transition log, and its event to the integrators' feed (PL-04); the only writer of
    TransitionLog."""
    from .integrations.events import event_for_transition

    row = TransitionLog.objects_append.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        field=field,
        transition=transition,
        source=str(source),
        target=str(target),
        reason=reason,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        actor_organisation_id=actor.organisation_id,
        actor_label=actor.label[:200],
        **tenant_values(instance),
    )
    event_for_transition(
        instance=instance,
        transition=transition,
        source=source,
        target=target,
        reason=reason,
        actor=actor,
        field=field,
        log_id=row.pk,
    )
    return row


def blocked_transitions(instance, principal: Principal) -> list[tuple[str, list[str]]]:
    """Decisions this principal could take now but for an unmet condition, with every reason."""
    declared = declared_transitions(type(instance))
    blocked = []
    for name, info in declared.items():
        meta = getattr(instance, name)._django_fsm
        state = meta.field.get_state(instance)
        if (
            meta.has_transition(state)
            and meta.has_transition_perm(instance, state, principal)
            and not meta.conditions_met(instance, state)
        ):
            blocked.append((info.label, instance.transition_blockers(name)))
    return blocked


def log_append_many(
    instances: list[models.Model], *, transition: str, source: str, target: str, reason: str, actor: Principal
) -> list[TransitionLog]:
    """Append one row per record in one INSERT per batch (bulk imports); the same rows log_append writes, and
    the same events (in bulk too)."""
    from .integrations.events import events_for_transitions_many

    if not instances:
        return []
    content_type = ContentType.objects.get_for_model(type(instances[0]))
    rows = [
        TransitionLog(
            content_type=content_type,
            object_id=instance.pk,
            object_repr=str(instance)[:200],
            field=fsm_field(type(instance)).name,
            transition=transition,
            source=str(source),
            target=str(target),
            reason=reason,
            actor_user_id=actor.user_id,
            actor_token_id=actor.token_id,
            actor_organisation_id=actor.organisation_id,
            actor_label=actor.label[:200],
            **tenant_values(instance),
        )
        for instance in instances
    ]
    logged = TransitionLog.objects_append.bulk_create(rows, batch_size=2000)
    events_for_transitions_many(
        instances, transition=transition, source=source, target=target, reason=reason, actor=actor
    )
    return logged
