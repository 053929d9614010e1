"""The principal: who is acting, for which organisation, in which role, with which token scopes.

Every service and selector takes a principal. It is built once per request (session membership or
API token) or per task (from a serialisable reference), and carries everything the visibility rule
needs without further queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .roles import ORGANISATION_ADMIN_ROLES, OrganisationKind, Role

if TYPE_CHECKING:
    from .models import ApiToken, Membership


@dataclass(frozen=True)
class Principal:
    """An acting party. `kind` is None for the public (anonymous) and "system" for scheduled work."""

    kind: str | None
    label: str
    user_id: int | None = None
    organisation_id: int | None = None
    role: str | None = None
    certification_body_id: int | None = None
    manufacturer_id: int | None = None
    country: str | None = None
    token_id: int | None = None
    # None: unrestricted (a person in the portal); a set: the API token's scopes.
    scopes: frozenset[str] | None = field(default=None)
    system_reason: str | None = None

    # --- what kind of principal -------------------------------------------------------------
    @property
    def is_public(self) -> bool:
        return self.kind is None

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def is_operator(self) -> bool:
        return self.kind == OrganisationKind.OPERATOR

    @property
    def is_cb(self) -> bool:
        return self.kind == OrganisationKind.CERTIFICATION_BODY

    @property
    def is_manufacturer(self) -> bool:
        return self.kind == OrganisationKind.MANUFACTURER

    @property
    def is_supervisor(self) -> bool:
        return self.kind == OrganisationKind.SUPERVISORY_BODY

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not None

    # --- roles ------------------------------------------------------------------------------
    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_organisation_admin(self) -> bool:
        return self.role in ORGANISATION_ADMIN_ROLES

    def allows_scope(self, scope: str) -> bool:
        """Whether an API token's scopes allow `scope` ("bodies:read"); people are not scope-limited."""
        if self.scopes is None:
            return True
        area, _, access = scope.partition(":")
        return scope in self.scopes or (access == "read" and f"{area}:write" in self.scopes)

    # --- serialisation for Celery -----------------------------------------------------------
    def reference(self) -> dict[str, Any]:
        """A JSON-serialisable reference from which a task rebuilds this principal."""
        if self.is_system:
            return {"system": self.system_reason}
        if self.token_id is not None:
            return {"token": self.token_id}
        if self.user_id is not None and self.organisation_id is not None:
            return {"user": self.user_id, "organisation": self.organisation_id}
        return {"public": True}


PUBLIC = Principal(kind=None, label="public")


def system_principal(reason: str) -> Principal:
    """Scheduled or cross-tenant work; the reason is recorded in every log row it writes."""
    return Principal(kind="system", label=f"system: {reason}", system_reason=reason)


def _jurisdiction(org) -> str | None:
    """The country an organisation acts for; a supervisory body that is not active acts for none."""
    if org.kind == OrganisationKind.SUPERVISORY_BODY:
        body = org.supervisory_body
        if body is None or body.state != "active":
            return None
    return org.country.code or None


def principal_from_membership(membership: Membership) -> Principal:
    org = membership.organisation
    user = membership.user
    return Principal(
        kind=org.kind,
        label=user.get_full_name() or user.get_username(),
        user_id=user.pk,
        organisation_id=org.pk,
        role=membership.role,
        certification_body_id=org.certification_body_id,
        manufacturer_id=org.manufacturer_id,
        country=_jurisdiction(org),
    )


def principal_from_token(token: ApiToken) -> Principal:
    org = token.organisation
    return Principal(
        kind=org.kind,
        label=f"API token {token.name} ({token.prefix})",
        user_id=None,
        organisation_id=org.pk,
        role=token.role,
        certification_body_id=org.certification_body_id,
        manufacturer_id=org.manufacturer_id,
        country=_jurisdiction(org),
        token_id=token.pk,
        scopes=frozenset(token.scopes),
    )


def principal_from_reference(ref: dict[str, Any]) -> Principal:
    """Rebuild a principal in a task; a membership or token revoked meanwhile yields the public principal."""
    from .models import ApiToken, Membership
    from .rls import crossing

    if "system" in ref:
        return system_principal(ref["system"] or "task")
    if "token" in ref:
        with crossing("identity"):
            token = (
                ApiToken.objects_unscoped.select_related("organisation__supervisory_body")
                .filter(pk=ref["token"])
                .first()
            )
        return principal_from_token(token) if token and token.is_usable else PUBLIC
    if "user" in ref:
        with crossing("identity"):
            membership = (
                Membership.objects_unscoped.select_related("organisation__supervisory_body", "user")
                .filter(user_id=ref["user"], organisation_id=ref["organisation"], is_active=True, user__is_active=True)
                .first()
            )
        return principal_from_membership(membership) if membership else PUBLIC
    return PUBLIC


__all__ = [
    "PUBLIC",
    "Principal",
    "Role",
    "principal_from_membership",
    "principal_from_reference",
    "principal_from_token",
    "system_principal",
]
