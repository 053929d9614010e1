"""Zips of certificate PDFs (CE-03): ask for the PDFs of a list of certificates, follow the job's progress, download
the zip when it is done. The zip is built by a Celery task (certification.tasks)."""

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request

from iecq.api.serializers import ProblemSerializer
from iecq.api.viewsets import PROBLEM_RESPONSES, ScopedViewSet, ServiceWriteMixin

from .. import services
from ..choices import PDF_BATCH_MAX
from ..models import CertificatePdfBatch
from ..pdf_batch_views import zip_response


class CertificatePdfBatchSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    expires_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When a finished zip is deleted (then `state` is `expired` and download/ answers 410).",
    )

    class Meta:
        model = CertificatePdfBatch
        fields = [
            "id",
            "state",
            "language",
            "total",
            "processed",
            "percent",
            "created_by_label",
            "created_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields


class CertificatePdfBatchCreateSerializer(serializers.Serializer):
    certificate_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=PDF_BATCH_MAX,
        help_text=f"Ids of certificates of your certification body (at most {PDF_BATCH_MAX}); others are left out.",
    )
    language = serializers.ChoiceField(choices=[code for code, _name in settings.LANGUAGES], default="en")


@extend_schema_view(
    list=extend_schema(
        summary="List the zips of certificate PDFs of your certification body",
        responses={200: CertificatePdfBatchSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="A zip of certificate PDFs: its state and progress",
        responses={200: CertificatePdfBatchSerializer, **PROBLEM_RESPONSES},
    ),
    create=extend_schema(
        summary="Ask for one zip of the PDFs of these certificates (a CB's staff); it is built in the background: "
        "poll it for progress, then GET its download/",
        request=CertificatePdfBatchCreateSerializer,
        responses={201: CertificatePdfBatchSerializer, **PROBLEM_RESPONSES},
    ),
)
class CertificatePdfBatchViewSet(ServiceWriteMixin, ScopedViewSet):
    """Zips of certificate PDFs of a CB, built by a Celery task."""

    model = CertificatePdfBatch
    serializer_class = CertificatePdfBatchSerializer
    write_serializer_class = CertificatePdfBatchCreateSerializer
    scope_area = "certification"
    http_method_names = ["get", "post", "head", "options"]
    create_service = staticmethod(services.certificate_pdf_batch_create)

    def _read(self, obj, status_code):
        obj.refresh_from_db()  # without a broker the job already ran in-process
        return super()._read(obj, status_code)

    @extend_schema(
        summary="The finished zip of certificate PDFs (404 until the job is done, 410 once it expired)",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **PROBLEM_RESPONSES,
            410: OpenApiResponse(
                ProblemSerializer,
                description="The zip expired and was deleted (`pdf_batch_expired`); POST a new job for the "
                "certificates to get a new one.",
            ),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        return zip_response(self.get_object())
