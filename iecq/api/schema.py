"""drf-spectacular extensions: the API token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "iecq.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "iecq_<prefix>_<secret>",
            "description": "An organisation's API token, created by its administrator under Settings → API tokens.",
        }
