"""The bodies API: reference data, CBs and their approval, auditors, laboratories and oversight, all under /api/v1/."""

from typing import Any, ClassVar

import django_filters
from django.db import models
from django_countries import countries
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from iecq.api.viewsets import (
    PROBLEM_RESPONSES,
    HistoryMixin,
    PrefetchMixin,
    ScopedViewSet,
    ServiceWriteMixin,
    validated_body,
)
from iecq.errors import Forbidden, NotFound
from iecq.filtersets import FilterSet
from iecq.principals import Principal

from .. import selectors, services
from ..assignment import assignment_problems
from ..choices import SupervisoryBodyState
from ..filters import (
    AccreditationFilter,
    AuditorCompetenceFilter,
    AuditorFilter,
    AuditorTrainingFilter,
    CalibrationRecordFilter,
    CBAssessmentFilter,
    CertificationBodyFilter,
    DeclarationFilter,
    EquipmentFilter,
    LabActionFilter,
    LaboratoryFilter,
    OversightFindingFilter,
    ProficiencyResultFilter,
    RequirementAssessmentFilter,
    SuspensionRequestFilter,
)
from ..models import (
    Accreditation,
    AccreditationBody,
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    CalibrationRecord,
    CBAssessment,
    CBSuspensionRequest,
    CertificationBody,
    Equipment,
    IndependenceDeclaration,
    LabAction,
    OversightFinding,
    ProficiencyResult,
    ProficiencyRound,
    RequirementAssessment,
    Scheme,
    SupervisoryBody,
    Technology,
    TestLaboratory,
)
from .serializers import (
    AccreditationBodySerializer,
    AccreditationBodyWriteSerializer,
    AccreditationSerializer,
    AccreditationWriteSerializer,
    ApprovalBlockersSerializer,
    AssignmentCheckRequestSerializer,
    AssignmentCheckSerializer,
    AuditorCompetenceSerializer,
    AuditorCompetenceWriteSerializer,
    AuditorSerializer,
    AuditorTrainingSerializer,
    AuditorTrainingWriteSerializer,
    AuditorWriteSerializer,
    CalibrationRecordSerializer,
    CalibrationRecordWriteSerializer,
    CBAssessmentSerializer,
    CBAssessmentWriteSerializer,
    CBSuspensionRequestSerializer,
    CBSuspensionRequestWriteSerializer,
    CertificationBodySerializer,
    CertificationBodyWriteSerializer,
    DeclarationSerializer,
    DeclarationWriteSerializer,
    EquipmentSerializer,
    EquipmentWriteSerializer,
    LabActionSerializer,
    LaboratorySerializer,
    LaboratoryWriteSerializer,
    OversightFindingSerializer,
    OversightFindingWriteSerializer,
    ProficiencyResultSerializer,
    ProficiencyResultWriteSerializer,
    ProficiencyRoundSerializer,
    ProficiencyRoundWriteSerializer,
    RequirementAssessmentSerializer,
    RequirementAssessmentWriteSerializer,
    SchemeSerializer,
    SchemeWriteSerializer,
    SupervisoryBodySerializer,
    SupervisoryBodyWriteSerializer,
    TechnologySerializer,
    TechnologyWriteSerializer,
)

READ_WRITE = ["get", "post", "patch", "head", "options"]
READ_CREATE = ["get", "post", "head", "options"]  # also: reads plus transition actions


def _crud_schema(one: str, plural: str, read: type, *, create: str = "", change: str = "") -> dict[str, Any]:
    """The summaries and responses of list/retrieve/create/partial_update, for extend_schema_view."""
    views = {
        "list": extend_schema(summary=f"List {plural}", responses={200: read(many=True)}),
        "retrieve": extend_schema(summary=one, responses={200: read, **PROBLEM_RESPONSES}),
    }
    if create:
        views["create"] = extend_schema(summary=create, responses={201: read, **PROBLEM_RESPONSES})
    if change:
        views["partial_update"] = extend_schema(summary=change, responses={200: read, **PROBLEM_RESPONSES})
    return views


class ReferenceDataViewSet(ServiceWriteMixin, ScopedViewSet):
    """Public reference data (no tenancy): anybody reads it, the operator maintains it through the services."""

    reference_list: ClassVar[Any]  # selector: () -> QuerySet

    def get_queryset(self) -> models.QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return type(self).reference_list()

    def get_object(self) -> models.Model:
        try:
            obj = self.get_queryset().get(pk=int(self.kwargs[self.lookup_field]))
        except (self.model.DoesNotExist, ValueError, TypeError, OverflowError):
            raise NotFound() from None
        self.check_object_permissions(self.request, obj)
        return obj


# --- reference data ---------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A component technology",
        "component technologies (reference data, public)",
        TechnologySerializer,
        create="Add a component technology (operator)",
        change="Change a component technology (operator)",
    )
)
class TechnologyViewSet(ReferenceDataViewSet):
    """Component technologies a CB's scope and an auditor's competence are made of (CB-02, CB-04)."""

    model = Technology
    serializer_class = TechnologySerializer
    write_serializer_class = TechnologyWriteSerializer
    filterset_fields = ["code"]
    scope_area = "bodies"
    http_method_names = READ_WRITE
    reference_list = staticmethod(selectors.technology_list)
    create_service = staticmethod(services.technology_create)
    update_service = staticmethod(services.technology_update)


@extend_schema_view(
    **_crud_schema(
        "An IECQ scheme",
        "IECQ schemes (reference data, public)",
        SchemeSerializer,
        create="Add an IECQ scheme (operator)",
        change="Change an IECQ scheme, e.g. a new edition (operator)",
    )
)
class SchemeViewSet(ReferenceDataViewSet):
    """IECQ schemes with the document that defines each and its edition."""

    model = Scheme
    serializer_class = SchemeSerializer
    write_serializer_class = SchemeWriteSerializer
    filterset_fields = ["code"]
    scope_area = "bodies"
    http_method_names = READ_WRITE
    reference_list = staticmethod(selectors.scheme_list)
    create_service = staticmethod(services.scheme_create)
    update_service = staticmethod(services.scheme_update)


@extend_schema_view(
    **_crud_schema(
        "An accreditation body",
        "accreditation bodies (reference data, public)",
        AccreditationBodySerializer,
        create="Add an accreditation body (operator)",
        change="Change an accreditation body's IAF MLA status (operator)",
    )
)
class AccreditationBodyViewSet(ReferenceDataViewSet):
    """National accreditation bodies and their IAF MLA status; public reference data (CB-01)."""

    model = AccreditationBody
    serializer_class = AccreditationBodySerializer
    write_serializer_class = AccreditationBodyWriteSerializer
    filterset_fields = ["country", "iaf_mla_signatory", "iaf_mla_product_certification"]
    scope_area = "bodies"
    http_method_names = READ_WRITE
    reference_list = staticmethod(selectors.accreditation_body_list)
    create_service = staticmethod(services.accreditation_body_create)
    update_service = staticmethod(services.accreditation_body_update)


@extend_schema_view(
    **_crud_schema(
        "A proficiency-testing round",
        "proficiency-testing rounds (reference data, public)",
        ProficiencyRoundSerializer,
        create="Announce a proficiency-testing round (operator)",
    )
)
class ProficiencyRoundViewSet(ReferenceDataViewSet):
    """Proficiency-testing and inter-laboratory comparison rounds laboratories report results in (CB-05)."""

    model = ProficiencyRound
    serializer_class = ProficiencyRoundSerializer
    write_serializer_class = ProficiencyRoundWriteSerializer
    filterset_fields = ["technology"]
    scope_area = "bodies"
    http_method_names = READ_CREATE
    reference_list = staticmethod(ProficiencyRound.objects.all)  # no selector yet in bodies/selectors.py
    create_service = staticmethod(services.proficiency_round_create)


# --- certification bodies ---------------------------------------------------------------------------


def _sees_cb_records(principal: Principal, cb: CertificationBody) -> bool:
    """Whether the principal sees the CB's accreditations and assessments (the CB, its country's supervisory body,
    the operator), so that an answer computed from them is complete; a client or the public sees the CB only."""
    if principal.is_operator or principal.is_system:
        return True
    if principal.is_cb:
        return principal.certification_body_id == cb.pk
    return principal.is_supervisor and principal.country == cb.country.code


@extend_schema_view(
    **_crud_schema(
        "A certification body",
        "certification bodies",
        CertificationBodySerializer,
        create="Register a CB application (operator)",
        change="Change a CB's details; its scope only by the operator",
    )
)
class CertificationBodyViewSet(PrefetchMixin, HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Certification bodies and their lifecycle decisions (CB-07)."""

    model = CertificationBody
    serializer_class = CertificationBodySerializer
    write_serializer_class = CertificationBodyWriteSerializer
    filterset_class = CertificationBodyFilter
    scope_area = "bodies"
    http_method_names = READ_WRITE
    list_prefetch_related = ("technologies", "schemes")
    create_service = staticmethod(services.certification_body_create)
    update_service = staticmethod(services.certification_body_update)
    transition_services = services.CB_TRANSITION_SERVICES

    @extend_schema(
        summary="Why the CB cannot be approved or reinstated now (CB-01, CB-02, CB-06)",
        responses={200: ApprovalBlockersSerializer, **PROBLEM_RESPONSES},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="approval-blockers",
        url_name="approval_blockers",
        pagination_class=None,
        filter_backends=[],
    )
    def approval_blockers(self, request: Request, pk: str | None = None) -> Response:
        cb = self.get_object()
        if not _sees_cb_records(self.principal, cb):
            raise Forbidden("Only the CB, its country's supervisory body and the operator see its approval conditions.")
        blockers = cb.approval_blockers()
        return Response(ApprovalBlockersSerializer({"approvable": not blockers, "blockers": blockers}).data)


@extend_schema_view(
    **_crud_schema(
        "An accreditation",
        "accreditations of CBs",
        AccreditationSerializer,
        create="Record a CB's accreditation certificate (CB-01)",
        change="Correct an accreditation or record its withdrawal",
    )
)
class AccreditationViewSet(ServiceWriteMixin, ScopedViewSet):
    """Accreditation certificates held by CBs from national accreditation bodies (CB-01)."""

    model = Accreditation
    serializer_class = AccreditationSerializer
    write_serializer_class = AccreditationWriteSerializer
    filterset_class = AccreditationFilter
    scope_area = "bodies"
    http_method_names = READ_WRITE
    list_select_related = ("accreditation_body",)
    create_service = staticmethod(services.accreditation_record)
    update_service = staticmethod(services.accreditation_update)


@extend_schema_view(
    **_crud_schema(
        "A requirement assessment",
        "requirement assessments of CBs",
        RequirementAssessmentSerializer,
        create="Record the assessment of one requirement category (operator, CB-06)",
    )
)
class RequirementAssessmentViewSet(ServiceWriteMixin, ScopedViewSet):
    """Assessments of the five requirement categories, each with its verification method and evidence (CB-06)."""

    model = RequirementAssessment
    serializer_class = RequirementAssessmentSerializer
    write_serializer_class = RequirementAssessmentWriteSerializer
    filterset_class = RequirementAssessmentFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.requirement_assessment_record)


@extend_schema_view(
    **_crud_schema(
        "A declaration of interests",
        "declarations of interests",
        DeclarationSerializer,
        create="Sign a declaration of interests, or record one on an auditor's behalf (CB-03)",
    )
)
class DeclarationViewSet(PrefetchMixin, ServiceWriteMixin, ScopedViewSet):
    """Declarations of interests of CB staff and auditors; a declared conflict blocks assignment (CB-03)."""

    model = IndependenceDeclaration
    serializer_class = DeclarationSerializer
    write_serializer_class = DeclarationWriteSerializer
    filterset_class = DeclarationFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    list_prefetch_related = ("conflicted_manufacturers",)
    create_service = staticmethod(services.declaration_sign)


# --- auditors ---------------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "An auditor",
        "auditors",
        AuditorSerializer,
        create="Register an auditor of a CB",
        change="Renew a qualification, add experience or deactivate an auditor",
    )
)
class AuditorViewSet(ServiceWriteMixin, ScopedViewSet):
    """Auditors of CBs, and whether one may be assigned to a manufacturer's work (CB-03, CB-04)."""

    model = Auditor
    serializer_class = AuditorSerializer
    write_serializer_class = AuditorWriteSerializer
    filterset_class = AuditorFilter
    scope_area = "bodies"
    http_method_names = READ_WRITE
    create_service = staticmethod(services.auditor_create)
    update_service = staticmethod(services.auditor_update)
    read_actions = ("assignment_check",)  # a question, not a change: a read-only token may ask it

    @extend_schema(
        summary="Whether the auditor may audit a manufacturer's work in a technology, and every reason not",
        request=AssignmentCheckRequestSerializer,
        responses={200: AssignmentCheckSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="assignment-check", url_name="assignment_check")
    def assignment_check(self, request: Request, pk: str | None = None) -> Response:
        auditor = self.get_object()  # 404 before the body is read, for auditors the caller cannot see
        try:
            data = validated_body(AssignmentCheckRequestSerializer, request, self.get_serializer_context())
        except ValidationError as exc:
            if any(e.code == "does_not_exist" for e in exc.detail.get("manufacturer", [])):
                raise NotFound() from None  # a manufacturer the caller cannot see is as absent as the auditor
            raise
        problems = assignment_problems(
            auditor,
            certification_body_id=auditor.certification_body_id,
            manufacturer_id=data["manufacturer"].pk,
            technology=data["technology"],
            on=data.get("on"),
        )
        return Response(AssignmentCheckSerializer({"assignable": not problems, "problems": problems}).data)


@extend_schema_view(
    **_crud_schema(
        "A training record",
        "auditors' training records",
        AuditorTrainingSerializer,
        create="Document a training course an auditor completed (CB-04)",
    )
)
class AuditorTrainingViewSet(ServiceWriteMixin, ScopedViewSet):
    """Documented training courses of auditors (CB-04)."""

    model = AuditorTraining
    serializer_class = AuditorTrainingSerializer
    write_serializer_class = AuditorTrainingWriteSerializer
    filterset_class = AuditorTrainingFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.training_record)


@extend_schema_view(
    **_crud_schema(
        "A competence",
        "auditors' competences",
        AuditorCompetenceSerializer,
        create="Recognise an auditor's competence in a technology of the CB's scope (CB-04)",
    )
)
class AuditorCompetenceViewSet(ServiceWriteMixin, ScopedViewSet):
    """Auditors' recognised competence per component technology (CB-04)."""

    model = AuditorCompetence
    serializer_class = AuditorCompetenceSerializer
    write_serializer_class = AuditorCompetenceWriteSerializer
    filterset_class = AuditorCompetenceFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.competence_grant)


# --- laboratories -----------------------------------------------------------------------------------


@extend_schema_view(
    **_crud_schema(
        "A test laboratory",
        "test laboratories",
        LaboratorySerializer,
        create="Register a test laboratory",
        change="Change a laboratory's name or accreditation, or deactivate it",
    )
)
class LaboratoryViewSet(ServiceWriteMixin, ScopedViewSet):
    """Test laboratories: a CB's own, or independent ones listed publicly (CB-05, CB-10)."""

    model = TestLaboratory
    serializer_class = LaboratorySerializer
    write_serializer_class = LaboratoryWriteSerializer
    filterset_class = LaboratoryFilter
    scope_area = "bodies"
    http_method_names = READ_WRITE
    create_service = staticmethod(services.laboratory_create)
    update_service = staticmethod(services.laboratory_update)


@extend_schema_view(
    **_crud_schema(
        "A piece of equipment",
        "test equipment",
        EquipmentSerializer,
        create="Add equipment with its current calibration (CB-10)",
    )
)
class EquipmentViewSet(ServiceWriteMixin, ScopedViewSet):
    """Test equipment with calibration due dates; overdue calibration is flagged (CB-10)."""

    model = Equipment
    serializer_class = EquipmentSerializer
    write_serializer_class = EquipmentWriteSerializer
    filterset_class = EquipmentFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.equipment_create)


@extend_schema_view(
    **_crud_schema(
        "A calibration record",
        "calibration records",
        CalibrationRecordSerializer,
        create="Record a calibration; the equipment's due date moves on (CB-10)",
    )
)
class CalibrationRecordViewSet(ServiceWriteMixin, ScopedViewSet):
    """Calibrations of test equipment (CB-10)."""

    model = CalibrationRecord
    serializer_class = CalibrationRecordSerializer
    write_serializer_class = CalibrationRecordWriteSerializer
    filterset_class = CalibrationRecordFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.calibration_record)


@extend_schema_view(
    **_crud_schema(
        "A proficiency-testing result",
        "proficiency-testing results",
        ProficiencyResultSerializer,
        create="Record a laboratory's z-score in a round; an unsatisfactory one opens an action (CB-05)",
    )
)
class ProficiencyResultViewSet(ServiceWriteMixin, ScopedViewSet):
    """Laboratories' proficiency-testing results, classified by z-score (CB-05)."""

    model = ProficiencyResult
    serializer_class = ProficiencyResultSerializer
    write_serializer_class = ProficiencyResultWriteSerializer
    filterset_class = ProficiencyResultFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    list_select_related = ("action",)
    create_service = staticmethod(services.proficiency_result_record)


@extend_schema_view(**_crud_schema("A proficiency action", "proficiency actions", LabActionSerializer))
class LabActionViewSet(HistoryMixin, ScopedViewSet):
    """Actions opened by unsatisfactory proficiency results, closed once verified effective (CB-05)."""

    model = LabAction
    serializer_class = LabActionSerializer
    filterset_class = LabActionFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE  # POST: the transitions only
    transition_services = services.LAB_ACTION_TRANSITION_SERVICES


# --- oversight --------------------------------------------------------------------------------------


class SupervisoryBodyFilter(FilterSet):
    """Declared filters: generated ones would query the tenant-scoped manager when the class is built, outside
    any scope. It belongs in bodies/filters.py, next to the others, once the portal lists supervisory bodies."""

    country = django_filters.ChoiceFilter(choices=list(countries))
    state = django_filters.ChoiceFilter(choices=SupervisoryBodyState.choices)

    class Meta:
        model = SupervisoryBody
        fields = ["country", "state"]


@extend_schema_view(
    **_crud_schema(
        "A supervisory body",
        "national supervisory bodies (public)",
        SupervisoryBodySerializer,
        create="Register a country's supervisory body (operator)",
    )
)
class SupervisoryBodyViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """National supervisory bodies, one per country."""

    model = SupervisoryBody
    serializer_class = SupervisoryBodySerializer
    write_serializer_class = SupervisoryBodyWriteSerializer
    filterset_class = SupervisoryBodyFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.supervisory_body_create)
    transition_services = services.SUPERVISORY_BODY_TRANSITION_SERVICES


@extend_schema_view(
    **_crud_schema(
        "A CB assessment",
        "CB assessments and witness audits",
        CBAssessmentSerializer,
        create="Plan an assessment or witness audit of a CB (operator)",
    )
)
class CBAssessmentViewSet(PrefetchMixin, HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Assessments of CBs: initial, annual surveillance (CB-08), reaccreditation (CB-09), witness audits."""

    model = CBAssessment
    serializer_class = CBAssessmentSerializer
    write_serializer_class = CBAssessmentWriteSerializer
    filterset_class = CBAssessmentFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    list_prefetch_related = ("supervisory_participants",)
    create_service = staticmethod(services.cb_assessment_plan)
    transition_services = services.ASSESSMENT_TRANSITION_SERVICES

    @extend_schema(
        summary="Take part in a planned assessment (the supervisory body of the CB's country)",
        request=None,
        responses={200: CBAssessmentSerializer, **PROBLEM_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def join(self, request: Request, pk: str | None = None) -> Response:
        assessment = services.cb_assessment_join(actor=self.principal, pk=pk)
        return Response(self.serializer_class(assessment, context=self.get_serializer_context()).data)


@extend_schema_view(
    **_crud_schema(
        "An oversight finding",
        "oversight findings about CBs",
        OversightFindingSerializer,
        create="Record a finding about a CB (operator, or the supervisory body of its country)",
    )
)
class OversightFindingViewSet(ServiceWriteMixin, ScopedViewSet):
    """Findings about CBs by the operator or the supervisory body of their country; never edited."""

    model = OversightFinding
    serializer_class = OversightFindingSerializer
    write_serializer_class = OversightFindingWriteSerializer
    filterset_class = OversightFindingFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.finding_record)


@extend_schema_view(
    **_crud_schema(
        "A CB suspension request",
        "requests to suspend CBs",
        CBSuspensionRequestSerializer,
        create="Ask the operator to suspend an approved CB of your country (supervisory body)",
    )
)
class CBSuspensionRequestViewSet(HistoryMixin, ServiceWriteMixin, ScopedViewSet):
    """Supervisory bodies' requests to suspend a CB; accepting suspends the CB in the same transaction."""

    model = CBSuspensionRequest
    serializer_class = CBSuspensionRequestSerializer
    write_serializer_class = CBSuspensionRequestWriteSerializer
    filterset_class = SuspensionRequestFilter
    scope_area = "bodies"
    http_method_names = READ_CREATE
    create_service = staticmethod(services.suspension_request_create)
    transition_services = services.SUSPENSION_REQUEST_TRANSITION_SERVICES
