"""Read and write serializers of the surveillance API; writes go through surveillance.services, reads show what
the caller sees."""

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from bodies.api.serializers import CreateOrChangeMixin
from bodies.models import Auditor, Equipment, TestLaboratory
from certification.models import Certificate
from iecq.api.fields import ListedPrimaryKeyRelatedField, VisiblePrimaryKeyRelatedField

from ..choices import FrequencyLevel, NonconformityState, PCNImpact, TeamRole
from ..models import (
    AuditTeamMember,
    Complaint,
    Nonconformity,
    PCNDocument,
    ProcessChangeNotification,
    ProductSample,
    SurveillanceAudit,
)

# The team roles as the model declares them; the schema names their enum through ENUM_NAME_OVERRIDES.
AUDIT_TEAM_ROLES = TeamRole.choices

# --- complaints (SV-03) -----------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "kind",
            "received_on",
            "source",
            "description",
            "reviewed_in",
            "recorded_by_label",
            "created_at",
        ]
        read_only_fields = fields


class ComplaintWriteSerializer(serializers.ModelSerializer):
    """A complaint or field failure about a certificate's products; the CB and manufacturer follow from it."""

    certificate = VisiblePrimaryKeyRelatedField(Certificate)

    class Meta:
        model = Complaint
        fields = ["certificate", "kind", "received_on", "source", "description"]
        validators = []


# --- audits (SV-01, SV-06) --------------------------------------------------------------------------


class AuditSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveillanceAudit
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "kind",
            "trigger",
            "trigger_reference",
            "state",
            "due_on",
            "scheduled_for",
            "plan",
            "report",
            "closed_on",
            "created_at",
        ]
        read_only_fields = fields


class AuditTeamMemberSerializer(serializers.ModelSerializer):
    auditor_name = serializers.CharField(source="auditor.name", read_only=True)
    role = serializers.ChoiceField(AUDIT_TEAM_ROLES, read_only=True)

    class Meta:
        model = AuditTeamMember
        fields = ["id", "audit", "auditor", "auditor_name", "role", "assigned_by_label", "assigned_at"]
        read_only_fields = fields


class AuditDetailSerializer(AuditSerializer):
    """An audit with its team and the complaints it reviews: for an open audit, the manufacturer's complaints
    to this CB not reviewed yet and received up to the audit date; for a closed one, those it reviewed."""

    team = AuditTeamMemberSerializer(many=True, read_only=True, source="team_members")
    complaints_to_review = ComplaintSerializer(many=True, read_only=True)

    class Meta(AuditSerializer.Meta):
        fields = [*AuditSerializer.Meta.fields, "team", "complaints_to_review"]
        read_only_fields = fields


class AuditWriteSerializer(CreateOrChangeMixin, serializers.ModelSerializer):
    """POST plans an audit of a certificate's holder (surveillance, recertification, or special with its trigger);
    PATCH sets the date and plan before the audit, or writes the report during it."""

    create_only = ("certificate", "kind", "trigger", "trigger_reference")
    change_only = ("scheduled_for", "report")

    certificate = VisiblePrimaryKeyRelatedField(Certificate)

    class Meta:
        model = SurveillanceAudit
        fields = ["certificate", "kind", "due_on", "trigger", "trigger_reference", "plan", "scheduled_for", "report"]
        validators = []


class AuditTeamAssignSerializer(serializers.ModelSerializer):
    auditor = VisiblePrimaryKeyRelatedField(Auditor)
    role = serializers.ChoiceField(AUDIT_TEAM_ROLES, default="member")

    class Meta:
        model = AuditTeamMember
        fields = ["auditor", "role"]
        validators = []


class FrequencyQuerySerializer(serializers.Serializer):
    manufacturer = serializers.IntegerField(min_value=1, help_text="The manufacturer's id.")
    certification_body = serializers.IntegerField(
        min_value=1, required=False, help_text="The CB's id; your own CB if left out."
    )


class FrequencyCountsSerializer(serializers.Serializer):
    """What the rule counted over the last three years."""

    major = serializers.IntegerField()
    minor = serializers.IntegerField()
    complaints = serializers.IntegerField()
    failed_samples = serializers.IntegerField()
    suspensions = serializers.IntegerField()
    closed_audits = serializers.IntegerField()


class FrequencySerializer(serializers.Serializer):
    """The surveillance frequency a CB must audit a manufacturer at, and why, in words (SV-07)."""

    level = serializers.ChoiceField(FrequencyLevel.choices)
    label = serializers.CharField()
    months = serializers.IntegerField(help_text="Months between audits.")
    reasons = serializers.ListField(child=serializers.CharField())
    counts = FrequencyCountsSerializer()


# --- nonconformities (SV-04) ----------------------------------------------------------------------------


class NonconformitySerializer(serializers.ModelSerializer):
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Nonconformity
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "audit",
            "sample",
            "grade",
            "requirement",
            "description",
            "due_on",
            "overdue",
            "corrective_action",
            "state",
            "raised_by_label",
            "created_at",
        ]
        read_only_fields = fields

    def get_overdue(self, nc: Nonconformity) -> bool:
        return nc.state != NonconformityState.CLOSED and nc.due_on < timezone.now().date()


class NonconformityWriteSerializer(serializers.ModelSerializer):
    """A nonconformity found at an audit in progress or just reported; the correction is due by grade."""

    audit = VisiblePrimaryKeyRelatedField(SurveillanceAudit)

    class Meta:
        model = Nonconformity
        fields = ["audit", "grade", "requirement", "description"]
        validators = []


class CorrectiveActionSerializer(serializers.ModelSerializer):
    """The manufacturer's correction and how it prevents recurrence."""

    corrective_action = serializers.CharField(max_length=10000)

    class Meta:
        model = Nonconformity
        fields = ["corrective_action"]


# --- samples (SV-02) -------------------------------------------------------------------------------------


class SampleSerializer(serializers.ModelSerializer):
    serializer_related_field = ListedPrimaryKeyRelatedField  # its list view prefetches (PrefetchMixin)

    class Meta:
        model = ProductSample
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "audit",
            "source",
            "description",
            "taken_on",
            "laboratory",
            "equipment",
            "test_report",
            "tested_on",
            "result",
            "created_at",
        ]
        read_only_fields = fields


class SampleWriteSerializer(serializers.ModelSerializer):
    """A sample and the laboratory and equipment that test it; equipment overdue for calibration is refused."""

    certificate = VisiblePrimaryKeyRelatedField(Certificate)
    laboratory = VisiblePrimaryKeyRelatedField(TestLaboratory)
    equipment = VisiblePrimaryKeyRelatedField(Equipment, many=True, required=False)
    audit = VisiblePrimaryKeyRelatedField(SurveillanceAudit, required=False, allow_null=True)

    class Meta:
        model = ProductSample
        fields = ["certificate", "source", "description", "taken_on", "laboratory", "equipment", "audit"]
        validators = []


class SampleResultSerializer(serializers.Serializer):
    passed = serializers.BooleanField(help_text="Whether the sample met its specification.")
    test_report = serializers.CharField(max_length=20000, help_text="The test and its result, summarised.")
    reason = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default="", help_text="Required for a failure."
    )


# --- process change notifications (SV-05) ------------------------------------------------------------------


class PCNDocumentSerializer(serializers.ModelSerializer):
    """Metadata only: the storage name and path are never shown; the file is fetched from `download_url`."""

    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PCNDocument
        fields = [
            "id",
            "pcn",
            "title",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by_label",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document: PCNDocument) -> str:
        return reverse("api:pcn-document-download", args=[document.pk])


class PCNDocumentUploadSerializer(serializers.ModelSerializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    # Size, emptiness and type (by content) are the service's rules, so the portal and the API say the same.
    file = serializers.FileField(allow_empty_file=True, max_length=200)

    class Meta:
        model = PCNDocument
        fields = ["title", "file"]


class PCNSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessChangeNotification
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "title",
            "description",
            "planned_on",
            "impact",
            "special_audit",
            "suspended_certificate",
            "found_at_audit",
            "state",
            "submitted_by_label",
            "created_at",
        ]
        read_only_fields = fields


class PCNDetailSerializer(PCNSerializer):
    documents = PCNDocumentSerializer(many=True, read_only=True)

    class Meta(PCNSerializer.Meta):
        fields = [*PCNSerializer.Meta.fields, "documents"]
        read_only_fields = fields


class PCNWriteSerializer(serializers.ModelSerializer):
    """The certificate holder notifies a change, online."""

    certificate = VisiblePrimaryKeyRelatedField(Certificate)

    class Meta:
        model = ProcessChangeNotification
        fields = ["certificate", "title", "description", "planned_on"]
        validators = []


class PCNClassifySerializer(serializers.ModelSerializer):
    impact = serializers.ChoiceField(PCNImpact.choices)
    reason = serializers.CharField(max_length=4000)

    class Meta:
        model = ProcessChangeNotification
        fields = ["impact", "reason"]


class PCNCloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)
    reinstate = serializers.BooleanField(
        default=False, help_text="Reinstate the certificate this PCN suspended pending the assessment."
    )
