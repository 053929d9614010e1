"""Bulk imports (issue 7): upload a CSV or JSON file of manufacturers or certificates, follow its progress and read
the report of rejected rows. The file is checked and written by a Celery task (imports.tasks)."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request

from iecq.api.serializers import ProblemSerializer
from iecq.api.viewsets import PROBLEM_RESPONSES, ScopedViewSet, ServiceWriteMixin

from .. import services
from ..choices import ImportFormat, ImportKind
from ..columns import template_content
from ..models import ImportJob
from .serializers import ImportJobCreateSerializer, ImportJobSerializer


class TemplateNegotiation(DefaultContentNegotiation):
    """`?format=` names the template's format here, not a renderer; the answer is a file or a JSON problem."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(
        summary="List the imports of your certification body", responses={200: ImportJobSerializer(many=True)}
    ),
    retrieve=extend_schema(
        summary="An import: its state, progress and the report of every rejected row",
        responses={200: ImportJobSerializer, **PROBLEM_RESPONSES},
    ),
    create=extend_schema(
        summary="Upload a file to import (the CB's administrator or certification manager); the job runs in the "
        "background: poll it for progress. All rows are written, or none.",
        request={"multipart/form-data": ImportJobCreateSerializer},
        responses={201: ImportJobSerializer, **PROBLEM_RESPONSES},
    ),
)
class ImportJobViewSet(ServiceWriteMixin, ScopedViewSet):
    """Import jobs of a CB: manufacturers or certificates of a legacy register, validated whole, written whole."""

    model = ImportJob
    serializer_class = ImportJobSerializer
    write_serializer_class = ImportJobCreateSerializer
    scope_area = "certification"
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser]
    create_service = staticmethod(services.import_job_create)

    def _read(self, obj, status_code):
        obj.refresh_from_db()  # without a broker the job already ran in-process
        return super()._read(obj, status_code)

    @extend_schema(
        summary="A template of the expected columns, with one example row",
        parameters=[
            OpenApiParameter("kind", enum=ImportKind.values, default=ImportKind.CERTIFICATES),
            OpenApiParameter("format", enum=ImportFormat.values, default=ImportFormat.CSV),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/json"): OpenApiTypes.BINARY,
            400: OpenApiResponse(ProblemSerializer, description="Unknown kind or format."),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        content_negotiation_class=TemplateNegotiation,
    )
    def template(self, request: Request) -> HttpResponse:
        return template_response(request.query_params)


def template_response(params) -> HttpResponse:
    """The template download shared by the API and the portal; unknown values answer 400."""
    from django.utils.translation import gettext as _

    from iecq.errors import ValidationFailed

    kind = params.get("kind", ImportKind.CERTIFICATES)
    fmt = params.get("format", ImportFormat.CSV)
    errors = {}
    if kind not in ImportKind.values:
        errors["kind"] = [_("Choose manufacturers or certificates.")]
    if fmt not in ImportFormat.values:
        errors["format"] = [_("Choose csv or json.")]
    if errors:
        raise ValidationFailed(errors=errors)
    content, content_type, name = template_content(kind, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
