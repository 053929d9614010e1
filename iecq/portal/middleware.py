"""Resolve the request's principal from the signed-in user's active membership and open its scope."""

from __future__ import annotations

from ..models import Membership
from ..principals import PUBLIC, Principal, principal_from_membership
from ..rls import crossing
from ..tenancy import scope

SESSION_MEMBERSHIP_KEY = "iecq_membership_id"


def memberships_of(user) -> list[Membership]:
    with crossing("identity"):
        return list(
            Membership.objects_unscoped.select_related("organisation__supervisory_body", "user")
            .filter(user=user, is_active=True)
            .order_by("organisation__name")
        )


def resolve_principal(request) -> tuple[Principal, list[Membership], Membership | None]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return PUBLIC, [], None
    memberships = memberships_of(user)
    if not memberships:
        return PUBLIC, [], None
    wanted = request.session.get(SESSION_MEMBERSHIP_KEY)
    active = next((m for m in memberships if m.pk == wanted), memberships[0])
    return principal_from_membership(active), memberships, active


class PrincipalScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        principal, memberships, active = resolve_principal(request)
        request.principal = principal
        request.memberships = memberships
        request.active_membership = active
        with scope(principal):
            return self.get_response(request)

    def process_exception(self, request, exception):
        """Domain errors that escape a view: invisible records are plain 404s, others a page saying why."""
        from ..errors import DomainError, NotFound
        from .views import forbidden, not_found

        if isinstance(exception, NotFound):
            return not_found(request, exception)
        if isinstance(exception, DomainError) and exception.status == 403:
            return forbidden(request, exception)
        return None
