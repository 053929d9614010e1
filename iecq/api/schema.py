"""drf-spectacular extensions: the API token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes


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


class VisiblePrimaryKeyRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """A visible record's id is an integer, whatever serializer it sits in."""

    target_class = "iecq.api.fields.VisiblePrimaryKeyRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return build_basic_type(OpenApiTypes.INT)
