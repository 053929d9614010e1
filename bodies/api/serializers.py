"""Read and write serializers of the bodies API; writes go through the services, reads show what the caller sees."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from iecq.api.fields import CountryField, ListedPrimaryKeyRelatedField, VisiblePrimaryKeyRelatedField
from manufacturers.models import Manufacturer

from ..choices import ZScoreClass
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

NO_VALIDATORS = {"validators": []}  # uniqueness is the service's job, for rows the caller cannot see too


class CreateOrChangeMixin:
    """One write serializer for POST and PATCH, when the two accept different fields.

    `create_only`: set when the record is created, never changed afterwards; `change_only`: not set at creation.
    """

    create_only: tuple[str, ...] = ()
    change_only: tuple[str, ...] = ()

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.partial:
            refused = {name: [_("This field cannot be changed.")] for name in self.create_only if name in attrs}
        else:
            refused = {name: [_("This field is not set at creation.")] for name in self.change_only if name in attrs}
        if refused:
            raise serializers.ValidationError(refused)
        return attrs


# --- reference data ---------------------------------------------------------------------------------


class TechnologySerializer(serializers.ModelSerializer):
    class Meta:
        model = Technology
        fields = ["id", "code", "name", "description"]
        read_only_fields = fields


class TechnologyWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Technology
        fields = ["code", "name", "description"]
        extra_kwargs = {"code": NO_VALIDATORS, "name": NO_VALIDATORS}


class SchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scheme
        fields = ["id", "code", "name", "document_reference", "edition"]
        read_only_fields = fields


class SchemeWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scheme
        fields = ["code", "name", "document_reference", "edition"]
        extra_kwargs = {"code": NO_VALIDATORS, "name": NO_VALIDATORS}


class AccreditationBodySerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = AccreditationBody
        fields = [
            "id",
            "name",
            "acronym",
            "country",
            "iaf_mla_signatory",
            "iaf_mla_product_certification",
            "iaf_mla_scope",
            "iaf_mla_since",
            "iaf_mla_until",
            "website",
        ]
        read_only_fields = fields


class AccreditationBodyWriteSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = AccreditationBody
        fields = [
            "name",
            "acronym",
            "country",
            "iaf_mla_signatory",
            "iaf_mla_product_certification",
            "iaf_mla_scope",
            "iaf_mla_since",
            "iaf_mla_until",
            "website",
        ]
        extra_kwargs = {"name": NO_VALIDATORS, "acronym": NO_VALIDATORS}


class ProficiencyRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProficiencyRound
        fields = ["id", "provider", "code", "title", "technology", "held_on"]
        read_only_fields = fields


class ProficiencyRoundWriteSerializer(serializers.ModelSerializer):
    technology = serializers.PrimaryKeyRelatedField(queryset=Technology.objects.all(), required=False, allow_null=True)

    class Meta:
        model = ProficiencyRound
        fields = ["provider", "code", "title", "technology", "held_on"]
        extra_kwargs = {"code": NO_VALIDATORS}


# --- certification bodies ---------------------------------------------------------------------------


class CertificationBodySerializer(serializers.ModelSerializer):
    serializer_related_field = ListedPrimaryKeyRelatedField  # its list view prefetches (PrefetchMixin)

    country = CountryField()

    class Meta:
        model = CertificationBody
        fields = [
            "id",
            "name",
            "legal_name",
            "country",
            "website",
            "email",
            "state",
            "technologies",
            "schemes",
            "approved_on",
            "approval_valid_until",
            "next_surveillance_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CertificationBodyWriteSerializer(serializers.ModelSerializer):
    country = CountryField()
    technologies = serializers.PrimaryKeyRelatedField(many=True, queryset=Technology.objects.all(), required=False)
    schemes = serializers.PrimaryKeyRelatedField(many=True, queryset=Scheme.objects.all(), required=False)

    class Meta:
        model = CertificationBody
        fields = ["name", "legal_name", "country", "website", "email", "technologies", "schemes"]
        validators = []  # uniqueness is the service's job, for rows the caller cannot see too


class ApprovalBlockersSerializer(serializers.Serializer):
    """Whether the CB can be approved (or reinstated) now, and every reason it cannot (CB-01, CB-02, CB-06)."""

    approvable = serializers.BooleanField()
    blockers = serializers.ListField(child=serializers.CharField())


class AccreditationSerializer(serializers.ModelSerializer):
    in_force = serializers.BooleanField(read_only=True, help_text="Valid today, from a recognised IAF MLA signatory.")

    class Meta:
        model = Accreditation
        fields = [
            "id",
            "certification_body",
            "accreditation_body",
            "certificate_number",
            "scope",
            "valid_from",
            "valid_until",
            "withdrawn_on",
            "in_force",
            "created_at",
        ]
        read_only_fields = fields


class AccreditationWriteSerializer(CreateOrChangeMixin, serializers.ModelSerializer):
    certification_body = VisiblePrimaryKeyRelatedField(CertificationBody)
    accreditation_body = serializers.PrimaryKeyRelatedField(queryset=AccreditationBody.objects.all())
    create_only = ("certification_body", "accreditation_body", "certificate_number")
    change_only = ("withdrawn_on",)

    class Meta:
        model = Accreditation
        fields = [
            "certification_body",
            "accreditation_body",
            "certificate_number",
            "scope",
            "valid_from",
            "valid_until",
            "withdrawn_on",
        ]
        validators = []


class RequirementAssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequirementAssessment
        fields = [
            "id",
            "certification_body",
            "category",
            "method",
            "result",
            "evidence",
            "evidence_reference",
            "assessed_on",
            "assessed_by_label",
            "created_at",
        ]
        read_only_fields = fields


class RequirementAssessmentWriteSerializer(serializers.ModelSerializer):
    certification_body = VisiblePrimaryKeyRelatedField(CertificationBody)

    class Meta:
        model = RequirementAssessment
        fields = [
            "certification_body",
            "category",
            "method",
            "result",
            "evidence",
            "evidence_reference",
            "assessed_on",
        ]


class DeclarationSerializer(serializers.ModelSerializer):
    serializer_related_field = ListedPrimaryKeyRelatedField  # its list view prefetches (PrefetchMixin)

    class Meta:
        model = IndependenceDeclaration
        fields = [
            "id",
            "certification_body",
            "declarant_name",
            "auditor",
            "signed_on",
            "valid_until",
            "interests",
            "conflicted_manufacturers",
            "no_conflicts",
            "created_at",
        ]
        read_only_fields = fields


class DeclarationWriteSerializer(serializers.ModelSerializer):
    auditor = VisiblePrimaryKeyRelatedField(Auditor, required=False, allow_null=True)
    conflicted_manufacturers = VisiblePrimaryKeyRelatedField(Manufacturer, many=True, required=False)

    class Meta:
        model = IndependenceDeclaration
        fields = ["auditor", "declarant_name", "signed_on", "interests", "conflicted_manufacturers", "no_conflicts"]
        extra_kwargs = {"declarant_name": {"required": False}}


# --- auditors ---------------------------------------------------------------------------------------


class AuditorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Auditor
        fields = [
            "id",
            "certification_body",
            "name",
            "email",
            "qualified_until",
            "audits_performed",
            "experience",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class AuditorWriteSerializer(CreateOrChangeMixin, serializers.ModelSerializer):
    certification_body = VisiblePrimaryKeyRelatedField(
        CertificationBody, required=False, help_text="Only the operator names it; CB staff register their own CB's."
    )
    create_only = ("certification_body",)
    change_only = ("is_active",)

    class Meta:
        model = Auditor
        fields = [
            "certification_body",
            "name",
            "email",
            "qualified_until",
            "audits_performed",
            "experience",
            "is_active",
        ]
        validators = []


@extend_schema_field(OpenApiTypes.INT)
class ManufacturerIdField(VisiblePrimaryKeyRelatedField):
    """A visible manufacturer's id, in a serializer without a model to derive the schema type from."""

    def __init__(self, **kwargs):
        super().__init__(Manufacturer, **kwargs)


class AssignmentCheckRequestSerializer(serializers.Serializer):
    manufacturer = ManufacturerIdField()
    technology = serializers.PrimaryKeyRelatedField(queryset=Technology.objects.all())
    on = serializers.DateField(required=False, help_text="The audit day; today if left out.")


class AssignmentCheckSerializer(serializers.Serializer):
    """Whether the auditor may audit the manufacturer's work in the technology, and every reason not (CB-03, CB-04)."""

    assignable = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


class AuditorTrainingSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditorTraining
        fields = ["id", "auditor", "course", "provider", "completed_on", "hours", "created_at"]
        read_only_fields = fields


class AuditorTrainingWriteSerializer(serializers.ModelSerializer):
    auditor = VisiblePrimaryKeyRelatedField(Auditor)
    hours = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=Decimal("0.5"))

    class Meta:
        model = AuditorTraining
        fields = ["auditor", "course", "provider", "completed_on", "hours"]


class AuditorCompetenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditorCompetence
        fields = ["id", "auditor", "technology", "since", "evidence", "created_at"]
        read_only_fields = fields


class AuditorCompetenceWriteSerializer(serializers.ModelSerializer):
    auditor = VisiblePrimaryKeyRelatedField(Auditor)
    technology = serializers.PrimaryKeyRelatedField(queryset=Technology.objects.all())

    class Meta:
        model = AuditorCompetence
        fields = ["auditor", "technology", "since", "evidence"]
        validators = []


# --- laboratories -----------------------------------------------------------------------------------


class LaboratorySerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = TestLaboratory
        fields = ["id", "name", "country", "owner", "accreditation_reference", "is_active", "created_at"]
        read_only_fields = fields


class LaboratoryWriteSerializer(CreateOrChangeMixin, serializers.ModelSerializer):
    country = CountryField()
    owner = VisiblePrimaryKeyRelatedField(
        CertificationBody,
        required=False,
        allow_null=True,
        help_text="The owning CB; CB staff always register their own CB's, the operator may leave it empty.",
    )
    create_only = ("country", "owner")
    change_only = ("is_active",)

    class Meta:
        model = TestLaboratory
        fields = ["name", "country", "owner", "accreditation_reference", "is_active"]
        validators = []


class EquipmentSerializer(serializers.ModelSerializer):
    calibration_overdue = serializers.BooleanField(read_only=True, help_text="The calibration due date has passed.")

    class Meta:
        model = Equipment
        fields = [
            "id",
            "laboratory",
            "name",
            "asset_number",
            "calibration_interval_months",
            "last_calibrated_on",
            "calibration_due_on",
            "calibration_overdue",
            "created_at",
        ]
        read_only_fields = fields


class EquipmentWriteSerializer(serializers.ModelSerializer):
    laboratory = VisiblePrimaryKeyRelatedField(TestLaboratory)
    calibrated_on = serializers.DateField(help_text="The current calibration; the due date follows from the interval.")
    certificate_reference = serializers.CharField(max_length=200)

    class Meta:
        model = Equipment
        fields = [
            "laboratory",
            "name",
            "asset_number",
            "calibration_interval_months",
            "calibrated_on",
            "certificate_reference",
        ]
        validators = []


class CalibrationRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalibrationRecord
        fields = ["id", "equipment", "calibrated_on", "due_on", "certificate_reference", "created_at"]
        read_only_fields = fields


class CalibrationRecordWriteSerializer(serializers.ModelSerializer):
    equipment = VisiblePrimaryKeyRelatedField(Equipment)

    class Meta:
        model = CalibrationRecord
        fields = ["equipment", "calibrated_on", "certificate_reference", "due_on"]
        extra_kwargs = {"due_on": {"required": False, "help_text": "By default, after the equipment's interval."}}


class ProficiencyResultSerializer(serializers.ModelSerializer):
    classification = serializers.ChoiceField(choices=ZScoreClass.choices, read_only=True)
    action = serializers.SerializerMethodField()

    class Meta:
        model = ProficiencyResult
        fields = ["id", "round", "laboratory", "measurand", "z_score", "classification", "action", "created_at"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.IntegerField(allow_null=True, help_text="The action an unsatisfactory result opened.")
    )
    def get_action(self, result: ProficiencyResult) -> int | None:
        action = getattr(result, "action", None)  # a missing reverse one-to-one raises an AttributeError subclass
        return action.pk if action is not None else None


class ProficiencyResultWriteSerializer(serializers.ModelSerializer):
    round = serializers.PrimaryKeyRelatedField(queryset=ProficiencyRound.objects.all())
    laboratory = VisiblePrimaryKeyRelatedField(TestLaboratory)

    class Meta:
        model = ProficiencyResult
        fields = ["round", "laboratory", "measurand", "z_score"]
        validators = []


class LabActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LabAction
        fields = ["id", "result", "description", "due_on", "state", "closed_on", "created_at"]
        read_only_fields = fields


# --- oversight --------------------------------------------------------------------------------------


class SupervisoryBodySerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = SupervisoryBody
        fields = ["id", "name", "country", "state", "created_at"]
        read_only_fields = fields


class SupervisoryBodyWriteSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = SupervisoryBody
        fields = ["name", "country"]


class CBAssessmentSerializer(serializers.ModelSerializer):
    serializer_related_field = ListedPrimaryKeyRelatedField  # its list view prefetches (PrefetchMixin)

    class Meta:
        model = CBAssessment
        fields = [
            "id",
            "certification_body",
            "kind",
            "state",
            "planned_on",
            "completed_on",
            "lead_assessor",
            "witnessed_manufacturer",
            "summary",
            "supervisory_participants",
            "created_at",
        ]
        read_only_fields = fields


class CBAssessmentWriteSerializer(serializers.ModelSerializer):
    certification_body = VisiblePrimaryKeyRelatedField(CertificationBody)
    witnessed_manufacturer = VisiblePrimaryKeyRelatedField(Manufacturer, required=False, allow_null=True)

    class Meta:
        model = CBAssessment
        fields = ["certification_body", "kind", "planned_on", "lead_assessor", "witnessed_manufacturer"]


class OversightFindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = OversightFinding
        fields = [
            "id",
            "certification_body",
            "assessment",
            "supervisory_body",
            "severity",
            "description",
            "recorded_by_label",
            "created_at",
        ]
        read_only_fields = fields


class OversightFindingWriteSerializer(serializers.ModelSerializer):
    certification_body = VisiblePrimaryKeyRelatedField(CertificationBody)
    assessment = VisiblePrimaryKeyRelatedField(CBAssessment, required=False, allow_null=True)

    class Meta:
        model = OversightFinding
        fields = ["certification_body", "assessment", "severity", "description"]


class CBSuspensionRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = CBSuspensionRequest
        fields = ["id", "certification_body", "supervisory_body", "reason", "state", "created_at"]
        read_only_fields = fields


class CBSuspensionRequestWriteSerializer(serializers.ModelSerializer):
    certification_body = VisiblePrimaryKeyRelatedField(CertificationBody)

    class Meta:
        model = CBSuspensionRequest
        fields = ["certification_body", "reason"]
