"""Surveillance of certified manufacturers (SV-01 … SV-07): audits and their teams, nonconformities and their
corrective actions, product samples, complaints, process change notifications and their documents.

Reads go through the visibility rule (ScopedViewSet), writes through surveillance.services; every action on a
record asks for the record first, so a record the caller cannot see answers 404 before its body is read.
"""

from typing import Any

from django.db import models
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from bodies.models import CertificationBody
from iecq.api.viewsets import (
    PROBLEM_RESPONSES,
    TRANSITION_RESPONSES,
    HistoryMixin,
    PrefetchMixin,
    ScopedViewSet,
    ServiceWriteMixin,
    validated_body,
)
from iecq.errors import Forbidden
from iecq.principals import Principal
from iecq.selectors import get_visible, visible
from manufacturers.models import Manufacturer

from .. import services
from ..choices import AuditState
from ..filters import (
    AuditFilter,
    ComplaintFilter,
    NonconformityFilter,
    PCNDocumentFilter,
    PCNFilter,
    SampleFilter,
)
from ..frequency import surveillance_frequency
from ..models import (
    AuditTeamMember,
    Complaint,
    Nonconformity,
    PCNDocument,
    ProcessChangeNotification,
    ProductSample,
    SurveillanceAudit,
)
from .serializers import (
    AuditDetailSerializer,
    AuditSerializer,
    AuditTeamAssignSerializer,
    AuditTeamMemberSerializer,
    AuditWriteSerializer,
    ComplaintSerializer,
    ComplaintWriteSerializer,
    CorrectiveActionSerializer,
    FrequencyQuerySerializer,
    FrequencySerializer,
    NonconformitySerializer,
    NonconformityWriteSerializer,
    PCNClassifySerializer,
    PCNCloseSerializer,
    PCNDetailSerializer,
    PCNDocumentSerializer,
    PCNDocumentUploadSerializer,
    PCNSerializer,
    PCNWriteSerializer,
    SampleResultSerializer,
    SampleSerializer,
    SampleWriteSerializer,
)

READ_WRITE = ["get", "post", "patch", "head", "options"]
READ_CREATE = ["get", "post", "head", "options"]  # also: reads plus actions
READ_ONLY = ["get", "head", "options"]
DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")


def _crud_schema(
    one: str, plural: str, read: type, *, detail: type | None = None, create: str = "", change: str = ""
) -> dict[str, Any]:
    """Summaries and responses of list/retrieve/create/partial_update; `detail`: what retrieve shows, if more."""
    views = {
        "list": extend_schema(summary=f"List {plural}", responses={200: read(many=True)}),
        "retrieve": extend_schema(summary=one, responses={200: detail or read, **PROBLEM_RESPONSES}),
    }
    if create:
        views["create"] = extend_schema(summary=create, responses={201: read, **PROBLEM_RESPONSES})
    if change:
        views["partial_update"] = extend_schema(summary=change, responses={200: read, **PROBLEM_RESPONSES})
    return views


def complaints_to_review(audit: SurveillanceAudit, principal: Principal) -> models.QuerySet[Complaint]:
    """The complaints an audit reviews (SV-03): for an open audit, the manufacturer's complaints to this CB that no
    audit has reviewed yet, received up to the audit date; for a closed audit, those it reviewed."""
    complaints = visible(Complaint, principal)
    if audit.state == AuditState.CLOSED:
        return complaints.filter(reviewed_in=audit)
    if audit.state == AuditState.CANCELLED:
        return complaints.none()
    return complaints.filter(
        manufacturer_id=audit.manufacturer_id,
        certification_body_id=audit.certification_body_id,
        reviewed_in__isnull=True,
        received_on__lte=audit.scheduled_for or audit.due_on,
    )


# --- audits (SV-01, SV-06, SV-07) -------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "An audit, with its team and the complaints it reviews (SV-03)",
        "surveillance audits (`?state=planned&state=scheduled&due_before=…`: the audits still to hold)",
        AuditSerializer,
        detail=AuditDetailSerializer,
        create="Plan a surveillance, recertification or special audit of a certificate's holder (SV-01, SV-06)",
        change="Set the audit date and plan before the audit, or write the report during it",
    ),
)
class AuditViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Audits of certified manufacturers through their states, one POST per decision (SV-01, SV-06)."""

    model = SurveillanceAudit
    serializer_class = AuditSerializer
    write_serializer_class = AuditWriteSerializer
    filterset_class = AuditFilter
    scope_area = "surveillance"
    http_method_names = READ_WRITE
    create_service = staticmethod(services.audit_plan)
    update_service = staticmethod(services.audit_update)
    transition_services = services.AUDIT_TRANSITION_SERVICES

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        audit = self.get_object()
        audit.team_members = visible(AuditTeamMember, self.principal).filter(audit=audit).select_related("auditor")
        audit.complaints_to_review = complaints_to_review(audit, self.principal)
        return Response(AuditDetailSerializer(audit, context=self.get_serializer_context()).data)

    @extend_schema(
        methods=["GET"],
        summary="The audit team",
        responses={200: AuditTeamMemberSerializer(many=True), **PROBLEM_RESPONSES},
    )
    @extend_schema(
        methods=["POST"],
        summary="Put an auditor on the audit team; refused with every reason of the assignment check (CB-03, CB-04)",
        request=AuditTeamAssignSerializer,
        responses={201: AuditTeamMemberSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def team(self, request: Request, pk: str | None = None) -> Response:
        audit = self.get_object()
        context = self.get_serializer_context()
        if request.method == "POST":
            data = validated_body(AuditTeamAssignSerializer, request, context)
            member = services.audit_team_assign(
                actor=self.principal, audit=audit.pk, auditor=data["auditor"], role=data.get("role", "member")
            )
            return Response(AuditTeamMemberSerializer(member, context=context).data, status=201)
        members = visible(AuditTeamMember, self.principal).filter(audit=audit).select_related("auditor")
        return Response(AuditTeamMemberSerializer(members, many=True, context=context).data)

    @extend_schema(
        summary="The surveillance frequency of a manufacturer with a CB, and the reasons for it in words (SV-07)",
        parameters=[FrequencyQuerySerializer],
        responses={200: FrequencySerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def frequency(self, request: Request) -> Response:
        query = FrequencyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        principal = self.principal
        manufacturer = get_visible(Manufacturer, principal, query.validated_data["manufacturer"])
        cb_id = query.validated_data.get("certification_body")
        if cb_id is None:
            if not principal.is_cb:
                raise ValidationError({"certification_body": [_("Name the certification body.")]})
            cb_id = principal.certification_body_id
        cb = get_visible(CertificationBody, principal, cb_id)
        # The counts come from the CB's own records: another CB may not learn them through its client.
        if principal.is_cb and cb.pk != principal.certification_body_id:
            raise Forbidden(_("A certification body sees the surveillance frequency of its own clients only."))
        frequency = surveillance_frequency(manufacturer_id=manufacturer.pk, certification_body_id=cb.pk)
        body = {
            "level": frequency.level,
            "label": frequency.label,
            "months": frequency.months,
            "reasons": [str(reason) for reason in frequency.reasons],
            "counts": frequency.counts,
        }
        return Response(FrequencySerializer(body).data)


# --- nonconformities (SV-04) ----------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A nonconformity",
        "nonconformities (`?overdue=true`: corrective actions past due)",
        NonconformitySerializer,
        create="Record a nonconformity found at an audit in progress or just reported (SV-04)",
    )
)
class NonconformityViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Major and minor nonconformities: the manufacturer answers, the CB verifies or rejects (SV-04)."""

    model = Nonconformity
    serializer_class = NonconformitySerializer
    write_serializer_class = NonconformityWriteSerializer
    filterset_class = NonconformityFilter
    scope_area = "surveillance"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.nonconformity_record)
    transition_services = services.NONCONFORMITY_TRANSITION_SERVICES

    @extend_schema(
        summary="The manufacturer submits its corrective action (SV-04); the CB then verifies it",
        request=CorrectiveActionSerializer,
        responses={200: NonconformitySerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        nc = self.get_object()
        data = validated_body(CorrectiveActionSerializer, request, self.get_serializer_context())
        nc = services.nonconformity_respond(actor=self.principal, pk=nc.pk, corrective_action=data["corrective_action"])
        return Response(self.serializer_class(nc, context=self.get_serializer_context()).data)


# --- samples (SV-02) -------------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A product sample",
        "product samples",
        SampleSerializer,
        create="Record a sample and the laboratory and equipment that test it; overdue equipment is refused "
        "(SV-02, CB-10)",
    )
)
class SampleViewSet(PrefetchMixin, HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Samples taken from production or the market, tested by a laboratory; a failure raises a major
    nonconformity (SV-02)."""

    model = ProductSample
    serializer_class = SampleSerializer
    write_serializer_class = SampleWriteSerializer
    filterset_class = SampleFilter
    scope_area = "surveillance"
    http_method_names = READ_CREATE
    list_prefetch_related = ("equipment",)
    create_service = staticmethod(services.sample_record)

    @extend_schema(
        summary="Record the test result; a failure raises a major nonconformity (SV-02, SV-04)",
        request=SampleResultSerializer,
        responses={200: SampleSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def result(self, request: Request, pk: str | None = None) -> Response:
        sample = self.get_object()
        data = validated_body(SampleResultSerializer, request, self.get_serializer_context())
        sample = services.sample_result_record(actor=self.principal, pk=sample.pk, **data)
        return Response(self.serializer_class(sample, context=self.get_serializer_context()).data)


# --- complaints (SV-03) -----------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A complaint or field failure",
        "complaints and field failures (`?reviewed=false`: not reviewed at an audit yet)",
        ComplaintSerializer,
        create="Record a complaint or field failure; the next audit of the manufacturer reviews it (SV-03)",
    )
)
class ComplaintViewSet(ServiceWriteMixin, ScopedViewSet):
    """Customer complaints and field failures, reviewed at the manufacturer's next audit (SV-03)."""

    model = Complaint
    serializer_class = ComplaintSerializer
    write_serializer_class = ComplaintWriteSerializer
    filterset_class = ComplaintFilter
    scope_area = "surveillance"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.complaint_record)


# --- process change notifications (SV-05) ------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A process change notification, with its documents' metadata",
        "process change notifications",
        PCNSerializer,
        detail=PCNDetailSerializer,
        create="Notify a process change affecting a certificate (the certificate holder, SV-05)",
    ),
)
class PCNViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Process changes the manufacturer notifies; the CB classifies the impact and the certificate follows
    (SV-05). Classifying and closing take more than a reason, so they are explicit actions."""

    model = ProcessChangeNotification
    serializer_class = PCNSerializer
    write_serializer_class = PCNWriteSerializer
    filterset_class = PCNFilter
    scope_area = "surveillance"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.pcn_submit)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PCNDetailSerializer
        return super().get_serializer_class()

    def _read(self, pcn: ProcessChangeNotification, status_code: int = 200) -> Response:
        return Response(self.serializer_class(pcn, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(
        summary="Classify the impact (the CB's managers); the certificate follows: no impact closes the PCN, "
        "needs assessment plans a special audit, suspends-pending-assessment also suspends the certificate",
        request=PCNClassifySerializer,
        responses={200: PCNSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def classify(self, request: Request, pk: str | None = None) -> Response:
        pcn = self.get_object()
        data = validated_body(PCNClassifySerializer, request, self.get_serializer_context())
        return self._read(services.pcn_classify(actor=self.principal, pk=pcn.pk, **data))

    @extend_schema(
        summary="Close the assessment; a certificate suspended pending it is reinstated only with `reinstate`",
        request=PCNCloseSerializer,
        responses={200: PCNSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        pcn = self.get_object()
        data = validated_body(PCNCloseSerializer, request, self.get_serializer_context())
        return self._read(services.pcn_close(actor=self.principal, pk=pcn.pk, **data))

    @extend_schema(
        summary="Attach a document to the PCN: PDF, PNG or JPEG (the manufacturer or its CB)",
        request={"multipart/form-data": PCNDocumentUploadSerializer},
        responses={201: PCNDocumentSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def documents(self, request: Request, pk: str | None = None) -> Response:
        pcn = self.get_object()  # before the body is parsed: an invisible PCN is a 404, whatever was sent
        data = validated_body(PCNDocumentUploadSerializer, request, self.get_serializer_context())
        document = services.pcn_document_upload(actor=self.principal, pcn=pcn.pk, **data)
        return Response(PCNDocumentSerializer(document, context=self.get_serializer_context()).data, status=201)


@extend_schema_view(
    **_crud_schema(
        "A PCN document's metadata", "documents of process change notifications (metadata)", PCNDocumentSerializer
    )
)
class PCNDocumentViewSet(ScopedViewSet):
    """Documents attached to process change notifications; served only as attachments."""

    model = PCNDocument
    serializer_class = PCNDocumentSerializer
    filterset_class = PCNDocumentFilter
    scope_area = "surveillance"
    http_method_names = READ_ONLY

    @extend_schema(
        summary="Download the document (as an attachment)",
        responses={**{(200, media): OpenApiTypes.BINARY for media in DOCUMENT_TYPES}, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        document = self.get_object()
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
