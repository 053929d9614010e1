from rest_framework.permissions import SAFE_METHODS, BasePermission


class HasTokenScope(BasePermission):
    """Reads need `<area>:read`, writes `<area>:write` on a token; people in the portal are not scope-limited.

    Anonymous callers may only read, and only what the visibility rule makes public. A POST that only
    answers a question (a view's `read_actions`, e.g. the auditor assignment check) needs read access.
    """

    message = "Your API token's scopes do not allow this."

    def has_permission(self, request, view) -> bool:
        principal = request.principal
        if request.method not in SAFE_METHODS and not principal.is_authenticated:
            return False
        area = getattr(view, "scope_area", None)
        if area is None:
            return True
        reads = request.method in SAFE_METHODS or getattr(view, "action", None) in getattr(view, "read_actions", ())
        access = "read" if reads else "write"
        return principal.allows_scope(f"{area}:{access}")
