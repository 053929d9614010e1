"""The one visibility rule (PL-01).

Each tenant-owned model declares, with a `Tenancy`, how it relates to a certification body, a
manufacturer, a country and an organisation, and which of its rows the public may see.
`visibility_q` turns a principal into the filter for that model; it is the only place where that
decision is made. `TenantScopedManager` fails closed: `Model.objects.all()` raises `ScopeError`
unless a principal scope is active (`scope(principal)`), and then returns only what that
principal may see. Work that crosses tenants says so: `scope(system_principal("reason"))`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from .principals import Principal


class ScopeError(RuntimeError):
    """A tenant-owned model was queried with no principal scope active."""


_active: ContextVar[Principal | None] = ContextVar("iecq_principal_scope", default=None)


def scope_enter(principal: Principal):
    """Make `principal` the active scope until `scope_exit(token)`; prefer `with scope(...)`."""
    return _active.set(principal)  # iecq.rls carries it to the database with the next query


def scope_exit(token) -> None:
    _active.reset(token)


@contextlib.contextmanager
def scope(principal: Principal) -> Iterator[Principal]:
    """Make `principal` the active scope for queries through tenant-scoped managers (and the database's RLS)."""
    token = scope_enter(principal)
    try:
        yield principal
    finally:
        scope_exit(token)


def active_principal() -> Principal | None:
    return _active.get()


@dataclass(frozen=True)
class Tenancy:
    """How a model relates to the tenants; each value is a lookup path from the model, or None.

    cb: the certification body that owns the row; manufacturer: the manufacturer it concerns;
    country: the ISO 3166 code a supervisory body's jurisdiction is matched against; organisation:
    the organisation that owns the row (tokens, memberships); public: rows anybody may read.
    """

    cb: str | None = None
    manufacturer: str | None = None
    country: str | tuple[str, ...] | None = None
    organisation: str | None = None
    public: Q | None = None

    @property
    def country_paths(self) -> tuple[str, ...]:
        if self.country is None:
            return ()
        return (self.country,) if isinstance(self.country, str) else self.country


NOTHING = Q(pk__in=[])


def _is_multivalued(model: type[models.Model], path: str) -> bool:
    """Whether following `path` from `model` crosses a to-many relation (so a join would duplicate rows)."""
    current = model
    for part in path.split("__"):
        if part == "pk":
            return False
        try:
            field = current._meta.get_field(part)
        except Exception:  # a final lookup such as "in": no further relation
            return False
        if not field.is_relation:
            return False
        if field.many_to_many or field.one_to_many:
            return True
        current = field.related_model
    return False


def _path_q(model: type[models.Model], path: str, value: object) -> Q:
    if value is None:
        return NOTHING
    if _is_multivalued(model, path):
        return _multivalued_q(model, path, value)
    return Q(**{path: value})


def _multivalued_q(model: type[models.Model], path: str, value: object) -> Q:
    """`path = value` where the path crosses a to-many relation, without duplicating rows.

    Where the first to-many step is a reverse foreign key (a contact's manufacturer's engagements), the set is
    taken from the children's foreign key column (`manufacturer_id IN (SELECT manufacturer_id FROM engagement
    WHERE certification_body_id = …)`): PostgreSQL filters the outer rows with it as it reads them, rather than
    first finding and sorting every visible row to semi-join a page of them."""
    prefix, current = [], model
    for part in path.split("__"):
        field = current._meta.get_field(part)
        if field.many_to_one or (field.one_to_one and field.concrete):
            prefix.append(part)
            current = field.related_model
            continue
        rest = path.split("__")[len(prefix) + 1 :]
        if field.one_to_many and rest and field.field.target_field == current._meta.pk:
            children = field.related_model._base_manager.filter(**{"__".join(rest): value}).order_by()
            lookup = "__".join([*prefix, "in"]) if prefix else "pk__in"
            return Q(**{lookup: children.values(field.field.attname)})
        break
    return Q(pk__in=model._base_manager.filter(**{path: value}).values("pk"))


def visibility_q(model: type[models.Model], principal: Principal) -> Q:
    """The filter that limits `model` to what `principal` may see. The one rule: change it here only."""
    tenancy: Tenancy | None = getattr(model, "tenancy", None)
    if tenancy is None:
        raise ScopeError(f"{model.__name__} declares no tenancy and cannot be scoped.")
    if principal.is_operator or principal.is_system:
        return Q()
    q = NOTHING
    if tenancy.organisation and principal.organisation_id is not None:
        q |= _path_q(model, tenancy.organisation, principal.organisation_id)
    if principal.is_cb and tenancy.cb:
        q |= _path_q(model, tenancy.cb, principal.certification_body_id)
    elif principal.is_manufacturer and tenancy.manufacturer:
        q |= _path_q(model, tenancy.manufacturer, principal.manufacturer_id)
    elif principal.is_supervisor:
        for path in tenancy.country_paths:
            q |= _path_q(model, path, principal.country)
    if tenancy.public is not None:
        if not tenancy.public.children:  # Q(): every row is public (combining with an empty Q would drop it)
            return Q()
        q |= tenancy.public
    return q


class TenantScopedQuerySet(models.QuerySet):
    def visible_to(self, principal: Principal) -> TenantScopedQuerySet:
        return self.filter(visibility_q(self.model, principal))


class TenantScopedManager(models.Manager.from_queryset(TenantScopedQuerySet)):
    """Default manager of tenant-owned models: fails closed with no active scope."""

    def get_queryset(self) -> TenantScopedQuerySet:
        principal = _active.get()
        if principal is None:
            raise ScopeError(
                f"{self.model.__name__} queried with no principal scope; use selectors with a principal, "
                "or scope(system_principal(reason)) for work that crosses tenants."
            )
        return super().get_queryset().filter(visibility_q(self.model, principal))

    def none(self) -> TenantScopedQuerySet:
        """An empty queryset reveals nothing, so it needs no scope (schema generation uses it)."""
        return super().get_queryset().none()

    def visible_to(self, principal: Principal) -> TenantScopedQuerySet:
        """The rows `principal` may see, whatever scope is active."""
        return super().get_queryset().filter(visibility_q(self.model, principal))


def tenant_values(instance: models.Model) -> dict[str, object]:
    """The owning CB, manufacturer and country of one row, for denormalised copies (the transition log)."""
    tenancy: Tenancy = type(instance).tenancy

    def follow(path: str | None) -> object:
        if not path or _is_multivalued(type(instance), path):
            return None
        obj: object = instance
        for part in path.split("__"):
            if obj is None:
                return None
            obj = obj.pk if part == "pk" else getattr(obj, part)
        return obj.pk if isinstance(obj, models.Model) else obj

    countries = [follow(p) for p in tenancy.country_paths]
    return {
        "certification_body_id": follow(tenancy.cb),
        "manufacturer_id": follow(tenancy.manufacturer),
        "country": next((c for c in countries if c), ""),
    }


def service(func):
    """Mark a write service: one transaction, run inside the acting principal's scope.

    Every service takes `actor=` (keyword-only); whatever it reads, directly or through related
    managers, follows the visibility rule for that actor, whoever called it (view, task, command).
    The events it causes are written when it ends, still in its transaction (`integrations.events`).
    """
    import functools

    from django.db import transaction

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .integrations.events import collecting

        actor = kwargs.get("actor")
        if not isinstance(actor, Principal):
            raise TypeError(f"{func.__name__}() needs actor=<Principal>.")
        # collecting(): the service's events (PL-04) are written as it ends, inside its transaction.
        with scope(actor), transaction.atomic(), collecting():
            return func(*args, **kwargs)

    return wrapper
