"""Applications through the qualification stages, their evidence, and certificates (MF-01 … MF-05, CE-01 … CE-05).

Reads go through the visibility rule (ScopedViewSet), writes through certification.services; every action on a
record asks for the record first, so a record the caller cannot see answers 404 before its body is read.
"""

from typing import Any

from django.http import FileResponse, HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from iecq.api.viewsets import (
    PROBLEM_RESPONSES,
    TRANSITION_RESPONSES,
    HistoryMixin,
    PrefetchMixin,
    ScopedViewSet,
    ServiceWriteMixin,
    validated_body,
)
from iecq.selectors import visible

from .. import services
from ..filters import ApplicationFilter, CertificateFilter, EvidenceFilter
from ..models import Application, Certificate, CertificateRevision, EvaluationAuditor, Evidence
from ..pdf import certificate_pdf
from ..selectors import certificate_for_document
from .serializers import (
    ApplicationSerializer,
    ApplicationWriteSerializer,
    CertificateRevisionSerializer,
    CertificateScopeSerializer,
    CertificateSerializer,
    CertificateTransferSerializer,
    EvaluationAuditorSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    TeamAssignSerializer,
)

READ_WRITE = ["get", "post", "patch", "head", "options"]
READ_CREATE = ["get", "post", "head", "options"]  # also: reads plus actions
DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")


def _crud_schema(one: str, plural: str, read: type, *, create: str = "", change: str = "") -> dict[str, Any]:
    views = {
        "list": extend_schema(summary=f"List {plural}", responses={200: read(many=True)}),
        "retrieve": extend_schema(summary=one, responses={200: read, **PROBLEM_RESPONSES}),
    }
    if create:
        views["create"] = extend_schema(summary=create, responses={201: read, **PROBLEM_RESPONSES})
    if change:
        views["partial_update"] = extend_schema(summary=change, responses={200: read, **PROBLEM_RESPONSES})
    return views


# --- applications -----------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "An application",
        "applications for certification (`?state=rejected&state=withdrawn`: the register of refused applications)",
        ApplicationSerializer,
        create="Apply to a CB (an initial inquiry); CB staff may record one for a client (MF-04)",
        change="Change the scope of an application while it is an inquiry (the applicant)",
    )
)
class ApplicationViewSet(PrefetchMixin, HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Manufacturers' applications through the qualification stages, one POST per decision (MF-01 … MF-04)."""

    model = Application
    serializer_class = ApplicationSerializer
    write_serializer_class = ApplicationWriteSerializer
    filterset_class = ApplicationFilter
    scope_area = "certification"
    http_method_names = READ_WRITE
    list_prefetch_related = ("technologies", "sites")
    create_service = staticmethod(services.application_create)
    update_service = staticmethod(services.application_update)
    transition_services = services.APPLICATION_TRANSITION_SERVICES

    @extend_schema(
        methods=["GET"],
        summary="The evaluation team of an application",
        responses={200: EvaluationAuditorSerializer(many=True), **PROBLEM_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Assign an auditor to the evaluation team; refused with every reason of the assignment check "
        "(CB-03, CB-04)",
        request=TeamAssignSerializer,
        responses={201: EvaluationAuditorSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def team(self, request: Request, pk: str | None = None) -> Response:
        application = self.get_object()
        context = self.get_serializer_context()
        if request.method == "POST":
            data = validated_body(TeamAssignSerializer, request, context)
            member = services.evaluation_auditor_assign(
                actor=self.principal, application=application.pk, auditor=data["auditor"], role=data["role"]
            )
            return Response(EvaluationAuditorSerializer(member, context=context).data, status=201)
        members = visible(EvaluationAuditor, self.principal).filter(application=application).select_related("auditor")
        return Response(EvaluationAuditorSerializer(members, many=True, context=context).data)


# --- evidence ---------------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "An evidence document's metadata",
        "evidence documents of applications (metadata)",
        EvidenceSerializer,
        create="Upload a document for the application's current stage: PDF, PNG or JPEG (MF-02)",
    )
)
class EvidenceViewSet(ServiceWriteMixin, ScopedViewSet):
    """Documents uploaded for the stages of applications (MF-02); served only as attachments."""

    model = Evidence
    serializer_class = EvidenceSerializer
    write_serializer_class = EvidenceUploadSerializer
    filterset_class = EvidenceFilter
    scope_area = "certification"
    http_method_names = READ_CREATE
    parser_classes = [MultiPartParser, FormParser]
    create_service = staticmethod(services.evidence_upload)

    @extend_schema(
        summary="Download the document (as an attachment)",
        responses={**{(200, media): OpenApiTypes.BINARY for media in DOCUMENT_TYPES}, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        evidence = self.get_object()
        response = FileResponse(
            evidence.file.open("rb"),
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- certificates -----------------------------------------------------------------------------------


@extend_schema_view(**_crud_schema("A certificate", "certificates", CertificateSerializer))
class CertificateViewSet(PrefetchMixin, HistoryMixin, ScopedViewSet):
    """IECQ certificates: status decisions, transfer, scope changes, revisions and the PDF (CE-01 … CE-03)."""

    model = Certificate
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter
    scope_area = "certification"
    http_method_names = READ_CREATE  # POST: the decisions only
    list_prefetch_related = ("technologies", "sites")
    transition_services = services.CERTIFICATE_TRANSITION_SERVICES

    def _read(self, cert: Certificate) -> Response:
        return Response(self.serializer_class(cert, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Transfer a valid certificate to another approved CB (operator); history and revisions go with it",
        request=CertificateTransferSerializer,
        responses={200: CertificateSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        cert = self.get_object()
        data = validated_body(CertificateTransferSerializer, request, self.get_serializer_context())
        cert = services.certificate_transfer(
            actor=self.principal, pk=cert.pk, to_certification_body=data["certification_body"], reason=data["reason"]
        )
        return self._read(cert)

    @extend_schema(
        summary="Change a valid certificate's scope (the CB's certification manager); makes a new revision",
        request=CertificateScopeSerializer,
        responses={200: CertificateSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def scope(self, request: Request, pk: str | None = None) -> Response:
        cert = self.get_object()
        data = dict(validated_body(CertificateScopeSerializer, request, self.get_serializer_context()))
        reason = data.pop("reason")
        cert = services.certificate_update_scope(actor=self.principal, pk=cert.pk, reason=reason, **data)
        return self._read(cert)

    @extend_schema(
        summary="The certificate's revisions, newest first (CE-01)",
        responses={200: CertificateRevisionSerializer(many=True), **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        cert = self.get_object()
        rows = visible(CertificateRevision, self.principal).filter(certificate=cert).order_by("-number")
        return Response(CertificateRevisionSerializer(rows, many=True).data)

    @extend_schema(
        summary="The certificate as a PDF, with a QR code to its public verification page (CE-03), in the language "
        "of Accept-Language (en or fr; English by default)",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        cert = certificate_for_document(self.principal, pk)
        self.check_object_permissions(request, cert)
        # The language LocaleMiddleware chose from Accept-Language among LANGUAGES (LANGUAGE_CODE, English, if none).
        response = HttpResponse(certificate_pdf(cert, language=get_language()), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{cert.number}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
