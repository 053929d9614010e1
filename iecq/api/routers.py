"""The API router every app uses."""

from rest_framework.routers import SimpleRouter


class OfferedMethodsRouter(SimpleRouter):
    """Routes only what a viewset offers: methods in its `http_method_names`, POST and PATCH only with a service.

    ServiceWriteMixin gives every resource `create` and `partial_update`; routed for a resource without an update
    service, PATCH would answer 405 for any id, where a record the caller cannot see must answer 404 (PL-01).
    """

    SERVICES = {"create": "create_service", "partial_update": "update_service"}

    def get_method_map(self, viewset, method_map):
        allowed = set(viewset.http_method_names)
        return {
            method: name
            for method, name in super().get_method_map(viewset, method_map).items()
            if method in allowed and (name not in self.SERVICES or getattr(viewset, self.SERVICES[name], 1) is not None)
        }
