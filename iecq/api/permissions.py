from rest_framework.permissions import SAFE_METHODS, BasePermission


class HasTokenScope(BasePermission):
    """Reads need `<area>:read`, writes `<area>:write` on a token; people in the portal are not scope-limited.

    Anonymous callers may only read, and only what the visibility rule makes public.
    """

    message = "Your API token's scopes do not allow this."

    def has_permission(self, request, view) -> bool:
        principal = request.principal
        if request.method not in SAFE_METHODS and not principal.is_authenticated:
            return False
        area = getattr(view, "scope_area", None)
        if area is None:
            return True
        access = "read" if request.method in SAFE_METHODS else "write"
        return principal.allows_scope(f"{area}:{access}")
