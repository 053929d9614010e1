"""drf-spectacular: the schema class every endpoint uses (problem responses, Idempotency-Key) and extensions."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID): a retry with the same key and body returns the first response "
        "(`Idempotent-Replayed: true`) and changes nothing twice; kept 24 hours."
    ),
)


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


def _blank_in_model(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except Exception:  # a property or an annotation, not a model field
        return False


class AutoSchema(openapi.AutoSchema):
    """Every operation documents, in one place, the problem responses it can return and, for a POST, the
    `Idempotency-Key` header (docs/api.md).

    401 and 403 can answer any call (token missing, expired or without the scope); 404 any call on a record and
    any list (an unknown cursor); 400 any body or filter; a POST also 409 (not allowed now, or the same
    Idempotency-Key still in flight) and 422 (an Idempotency-Key reused with another body); any body 413 and 415.
    """

    def get_override_parameters(self):
        params = list(super().get_override_parameters())
        if self.method == "POST":
            params.append(IDEMPOTENCY_KEY_PARAMETER)
        return params

    def problem_codes(self) -> dict[int, str]:
        from .problems import TITLES

        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        has_body = self.method in ("POST", "PUT", "PATCH")
        codes = [401, 403]
        if has_body or self._is_list_view():
            codes.append(400)
        if "{" in self.path or self._is_list_view():
            codes.append(404)
        if writes:
            codes.append(409)
        if has_body:
            codes += [413, 415]
        if self.method == "POST":
            codes.append(422)
        descriptions = {
            400: "The input is not valid: `errors` names each field (problem details).",
            401: "Missing, malformed, expired or revoked token (problem details).",
            403: "The role or the token's scopes do not allow this (problem details).",
            404: "No such record, or not visible to you (problem details).",
            409: "Not allowed in the record's current state, or the same Idempotency-Key is in flight.",
            413: "The request body is too large (problem details).",
            415: "Send `application/json` (uploads: `multipart/form-data`) (problem details).",
            422: "This Idempotency-Key was used with a different request (problem details).",
        }
        return {code: descriptions.get(code, TITLES.get(code, "")) for code in sorted(codes)}

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if field.read_only and isinstance(field, serializers.CharField | serializers.ChoiceField):
            # A read-only field shows the model's value: "" where the model allows a blank (an outcome not yet
            # decided, an e-mail address not given), so the schema must allow it too.
            field.allow_blank = field.allow_blank or _blank_in_model(field)
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_response_bodies(self, direction="response"):
        from .serializers import ProblemSerializer

        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        ref = self.resolve_serializer(ProblemSerializer, direction).ref
        for code, response in responses.items():  # errors a view names itself are problem details too
            if code.startswith("4") and "content" in response:
                response["content"] = {"application/problem+json": {"schema": ref}}
        for code, description in self.problem_codes().items():
            responses[str(code)] = {
                "content": {"application/problem+json": {"schema": ref}},
                "description": description,
            }
        return responses
