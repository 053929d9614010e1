"""Sanctions (SA-01 … SA-06): corrective action requests, supervisory requests to suspend a certificate,
appeals, defect reports and the public system bulletin.

Reads go through the visibility rule (ScopedViewSet), writes through sanctions.services; every action on a
record asks for the record first, so a record the caller cannot see answers 404 before its body is read.
"""

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from iecq.api.viewsets import (
    PROBLEM_RESPONSES,
    TRANSITION_RESPONSES,
    HistoryMixin,
    ScopedViewSet,
    ServiceWriteMixin,
    validated_body,
)
from iecq.models import TransitionLog
from iecq.principals import Principal
from iecq.selectors import visible

from .. import services
from ..choices import AppealState
from ..filters import AppealFilter, BulletinNoticeFilter, CARFilter, DefectReportFilter, SuspensionRequestFilter
from ..models import Appeal, BulletinNotice, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport
from .serializers import (
    AppealableDecisionSerializer,
    AppealSerializer,
    AppealWriteSerializer,
    BulletinNoticeSerializer,
    CARResponseSerializer,
    CARSerializer,
    CARWriteSerializer,
    DefectCloseSerializer,
    DefectReportReceiptSerializer,
    DefectReportSerializer,
    DefectReportWriteSerializer,
    FoundAtAuditSerializer,
    NoticeCorrectionSerializer,
    SuspensionRequestSerializer,
    SuspensionRequestWriteSerializer,
)

READ_CREATE = ["get", "post", "head", "options"]  # also: reads plus actions
READ_ONLY = ["get", "head", "options"]


def _crud_schema(one: str, plural: str, read: type, *, create: str = "") -> dict[str, Any]:
    views = {
        "list": extend_schema(summary=f"List {plural}", responses={200: read(many=True)}),
        "retrieve": extend_schema(summary=one, responses={200: read, **PROBLEM_RESPONSES}),
    }
    if create:
        views["create"] = extend_schema(summary=create, responses={201: read, **PROBLEM_RESPONSES})
    return views


# --- corrective action requests (SA-01, SA-06) ------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A corrective action request",
        "corrective action requests (`?overdue=true`: not answered by their due date)",
        CARSerializer,
        create="Issue a CAR about a certificate or a nonconformity (the CB's certification manager, SA-01)",
    )
)
class CARViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """CARs with due dates: the manufacturer responds online, the CB accepts or sends the response back; an
    unanswered one escalates (SA-01)."""

    model = CorrectiveActionRequest
    serializer_class = CARSerializer
    write_serializer_class = CARWriteSerializer
    filterset_class = CARFilter
    scope_area = "sanctions"
    http_method_names = READ_CREATE
    list_select_related = ("certificate",)
    create_service = staticmethod(services.car_issue)
    transition_services = services.CAR_TRANSITION_SERVICES

    @extend_schema(
        summary="The manufacturer submits its response, also late after the CAR escalated; the CB then decides",
        request=CARResponseSerializer,
        responses={200: CARSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        car = self.get_object()
        data = validated_body(CARResponseSerializer, request, self.get_serializer_context())
        car = services.car_respond(actor=self.principal, pk=car.pk, response=data["response"])
        return self._read(car, 200)

    @extend_schema(
        summary="Record a process change found at an audit that was never notified; answered by a CAR (SA-06)",
        request=FoundAtAuditSerializer,
        responses={201: CARSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=False, methods=["post"], url_path="found-at-audit", url_name="found-at-audit")
    def found_at_audit(self, request: Request) -> Response:
        data = validated_body(FoundAtAuditSerializer, request, self.get_serializer_context())
        car = services.pcn_found_at_audit(actor=self.principal, **data)
        return self._read(car, 201)


# --- supervisory requests to suspend a certificate (SA-02) ------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A supervisory body's request to suspend a certificate",
        "supervisory bodies' requests to suspend certificates",
        SuspensionRequestSerializer,
        create="Ask the certificate's CB to suspend it (the supervisory body of its country, SA-02)",
    )
)
class SuspensionRequestViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """A supervisory body asks; the CB accepts (the certificate is suspended and published in the same
    transaction) or declines, with its reason (SA-02, SA-03)."""

    model = CertificateSuspensionRequest
    serializer_class = SuspensionRequestSerializer
    write_serializer_class = SuspensionRequestWriteSerializer
    filterset_class = SuspensionRequestFilter
    scope_area = "sanctions"
    http_method_names = READ_CREATE
    list_select_related = ("certificate", "supervisory_body")
    create_service = staticmethod(services.certificate_suspension_request_create)
    transition_services = services.SUSPENSION_REQUEST_TRANSITION_SERVICES


# --- appeals (SA-04) --------------------------------------------------------------------------------------


def decisions_open_to_appeal(principal: Principal) -> models.QuerySet[TransitionLog]:
    """The logged decisions `principal` sees that can still be appealed: of a kind appealed here, inside the
    appeal period, and not under appeal (what appeal_lodge checks)."""
    kinds = Q()
    for app_label, model, name in services.REVERSALS:
        kinds |= Q(content_type__app_label=app_label, content_type__model=model, transition=name)
    first_day = timezone.now().date() - timedelta(days=settings.IECQ_APPEAL_DAYS)
    return (
        visible(TransitionLog, principal)
        .filter(kinds, manufacturer__isnull=False, at__gte=datetime.combine(first_day, time.min, tzinfo=UTC))
        .exclude(appeals__state__in=[AppealState.LODGED, AppealState.ACKNOWLEDGED, AppealState.UPHELD])
        .select_related("content_type")
    )


@extend_schema_view(
    **_crud_schema(
        "An appeal, with the decision it is against: the transition, the record, who decided, when and why",
        "appeals",
        AppealSerializer,
        create="Appeal a decision within the appeal period (the manufacturer concerned, SA-04)",
    )
)
class AppealViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Appeals against decisions, decided by people not involved in them; upholding one reverses the decision
    and publishes it (SA-04)."""

    model = Appeal
    serializer_class = AppealSerializer
    write_serializer_class = AppealWriteSerializer
    filterset_class = AppealFilter
    scope_area = "sanctions"
    http_method_names = READ_CREATE
    list_select_related = ("decision",)
    create_service = staticmethod(services.appeal_lodge)
    transition_services = services.APPEAL_TRANSITION_SERVICES

    @extend_schema(
        summary="Decisions you see that can still be appealed, with the last day to appeal each; an appeal names "
        "one by its `id`",
        responses={200: AppealableDecisionSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="appealable-decisions", filter_backends=[])
    def appealable_decisions(self, request: Request) -> Response:
        page = self.paginate_queryset(decisions_open_to_appeal(self.principal))
        return self.get_paginated_response(AppealableDecisionSerializer(page, many=True).data)


# --- defect reports (SA-05) -------------------------------------------------------------------------------


@extend_schema_view(**_crud_schema("A defect report", "defect reports", DefectReportSerializer))
class DefectReportViewSet(HistoryMixin, ScopedViewSet):
    """Defects in certified components, reported by anybody and investigated by the certificate's CB, which may
    close a report with a special audit, a CAR or a suspension (SA-05). The public report through the portal
    form; the API takes reports from signed-in organisations."""

    model = DefectReport
    serializer_class = DefectReportSerializer
    filterset_class = DefectReportFilter
    scope_area = "sanctions"
    http_method_names = READ_CREATE
    transition_services = services.DEFECT_TRANSITION_SERVICES

    @extend_schema(
        summary="Report a defect in a certified component; a known certificate number routes it to its CB (SA-05)",
        request=DefectReportWriteSerializer,
        responses={
            201: OpenApiResponse(DefectReportSerializer, description="Recorded; you follow the report here."),
            202: OpenApiResponse(
                DefectReportReceiptSerializer,
                description="Received; the report concerns another organisation's product and its CB investigates.",
            ),
            **PROBLEM_RESPONSES,
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated_body(DefectReportWriteSerializer, request, self.get_serializer_context())
        report = services.defect_report_submit(**data)
        context = self.get_serializer_context()
        # The routing (which CB and manufacturer) is shown only to those who may follow the report.
        if visible(DefectReport, self.principal).filter(pk=report.pk).exists():
            return Response(DefectReportSerializer(report, context=context).data, status=201)
        return Response(DefectReportReceiptSerializer(report, context=context).data, status=202)

    @extend_schema(
        summary="Close the report with its outcome (the CB's certification manager); a special audit, a CAR or a "
        "suspension of the certificate follows in the same transaction",
        request=DefectCloseSerializer,
        responses={200: DefectReportSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        data = validated_body(DefectCloseSerializer, request, self.get_serializer_context())
        report = services.defect_transition(actor=self.principal, pk=report.pk, name="close", **data)
        return Response(self.serializer_class(report, context=self.get_serializer_context()).data)


# --- the system bulletin (SA-03) --------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A bulletin notice",
        "notices of the public system bulletin, newest first (`?month=YYYY-MM`: one month's issue); public",
        BulletinNoticeSerializer,
    )
)
class BulletinNoticeViewSet(ScopedViewSet):
    """The numbered notices of the public IECQ system bulletin: suspensions, withdrawals, reinstatements and
    upheld appeals (SA-03). Public: anybody reads them, signed in or not."""

    model = BulletinNotice
    serializer_class = BulletinNoticeSerializer
    filterset_class = BulletinNoticeFilter
    scope_area = "sanctions"
    http_method_names = READ_CREATE

    @extend_schema(
        summary="Correct a notice: publishes a new notice naming it (notices are never edited)",
        request=NoticeCorrectionSerializer,
        responses={201: BulletinNoticeSerializer, **TRANSITION_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()
        body = validated_body(NoticeCorrectionSerializer, request, self.get_serializer_context())
        notice = services.notice_correct(actor=self.principal, pk=pk, reason=body["reason"])
        return Response(BulletinNoticeSerializer(notice, context=self.get_serializer_context()).data, status=201)
