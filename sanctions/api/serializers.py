"""Read and write serializers of the sanctions API; writes go through sanctions.services, reads show what the
caller sees."""

from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from certification.models import Certificate
from iecq.api.fields import VisiblePrimaryKeyRelatedField
from iecq.models import TransitionLog
from surveillance.models import Nonconformity, SurveillanceAudit

from ..choices import DefectOutcome, ReporterKind
from ..filters import AWAITING_RESPONSE
from ..models import Appeal, BulletinNotice, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport

# --- corrective action requests (SA-01, SA-06) ------------------------------------------------------------


class CARSerializer(serializers.ModelSerializer):
    certificate_number = serializers.CharField(source="certificate.number", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = CorrectiveActionRequest
        fields = [
            "id",
            "number",
            "certification_body",
            "manufacturer",
            "certificate",
            "certificate_number",
            "nonconformity",
            "pcn",
            "request",
            "due_on",
            "overdue",
            "response",
            "state",
            "issued_by_label",
            "created_at",
        ]
        read_only_fields = fields

    def get_overdue(self, car: CorrectiveActionRequest) -> bool:
        """Unanswered past its due date (SA-01)."""
        return car.state in AWAITING_RESPONSE and car.due_on < timezone.now().date()


class CARWriteSerializer(serializers.ModelSerializer):
    """A CAR about a certificate, or about a nonconformity (its certificate follows); due in
    `IECQ_CAR_DAYS` days unless a date is given."""

    certificate = VisiblePrimaryKeyRelatedField(Certificate, required=False, allow_null=True)
    nonconformity = VisiblePrimaryKeyRelatedField(Nonconformity, required=False, allow_null=True)
    request = serializers.CharField(max_length=10000, help_text="What must be corrected.")
    due_on = serializers.DateField(required=False, help_text=f"{settings.IECQ_CAR_DAYS} days from today if left out.")

    class Meta:
        model = CorrectiveActionRequest
        fields = ["certificate", "nonconformity", "request", "due_on"]
        validators = []


class CARResponseSerializer(serializers.Serializer):
    response = serializers.CharField(max_length=10000, help_text="The correction and the evidence for it.")


class FoundAtAuditSerializer(serializers.Serializer):
    """A change the audit team found that the manufacturer never notified (SA-06)."""

    audit = VisiblePrimaryKeyRelatedField(SurveillanceAudit)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=10000)


# --- supervisory requests to suspend a certificate (SA-02) ------------------------------------------------


class SuspensionRequestSerializer(serializers.ModelSerializer):
    certificate_number = serializers.CharField(source="certificate.number", read_only=True)
    supervisory_body_name = serializers.CharField(source="supervisory_body.name", read_only=True)

    class Meta:
        model = CertificateSuspensionRequest
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "certificate_number",
            "supervisory_body",
            "supervisory_body_name",
            "reason",
            "requested_by_label",
            "state",
            "created_at",
        ]
        read_only_fields = fields


class SuspensionRequestWriteSerializer(serializers.ModelSerializer):
    """The supervisory body of the certificate's country asks its CB to suspend it."""

    certificate = VisiblePrimaryKeyRelatedField(Certificate)
    reason = serializers.CharField(max_length=10000)

    class Meta:
        model = CertificateSuspensionRequest
        fields = ["certificate", "reason"]
        validators = []


# --- appeals (SA-04) --------------------------------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):
    """A logged decision: what was decided about which record, by whom, when and why."""

    record_type = serializers.CharField(
        read_only=True, help_text="`app_label.model` of the record, e.g. `certification.certificate`."
    )
    record_id = serializers.IntegerField(source="object_id", read_only=True)
    record = serializers.CharField(source="object_repr", read_only=True)
    decided_by = serializers.CharField(source="actor_label", read_only=True)
    decided_at = serializers.DateTimeField(source="at", read_only=True)

    class Meta:
        model = TransitionLog
        fields = [
            "id",
            "record_type",
            "record_id",
            "record",
            "transition",
            "source",
            "target",
            "decided_by",
            "decided_at",
            "reason",
        ]
        read_only_fields = fields


class AppealableDecisionSerializer(DecisionSerializer):
    appeal_until = serializers.SerializerMethodField()

    class Meta(DecisionSerializer.Meta):
        fields = [*DecisionSerializer.Meta.fields, "appeal_until"]
        read_only_fields = fields

    def get_appeal_until(self, log: TransitionLog) -> date:
        """The last day an appeal can be lodged."""
        return log.at.date() + timedelta(days=settings.IECQ_APPEAL_DAYS)  # as appeal_lodge counts it


class AppealSerializer(serializers.ModelSerializer):
    decision = DecisionSerializer(read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "decision",
            "grounds",
            "lodged_by_label",
            "response_due_on",
            "state",
            "created_at",
        ]
        read_only_fields = fields


class AppealWriteSerializer(serializers.ModelSerializer):
    """The manufacturer concerned appeals a decision by its log id (see `appeals/appealable-decisions/`)."""

    decision = VisiblePrimaryKeyRelatedField(TransitionLog)
    grounds = serializers.CharField(max_length=10000, help_text="Why the decision is wrong.")

    class Meta:
        model = Appeal
        fields = ["decision", "grounds"]
        validators = []


# --- defect reports (SA-05) -------------------------------------------------------------------------------


class DefectReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = DefectReport
        fields = [
            "id",
            "certification_body",
            "manufacturer",
            "certificate",
            "reporter_kind",
            "reporter_name",
            "reporter_email",
            "certificate_number",
            "component",
            "description",
            "state",
            "outcome",
            "created_at",
        ]
        read_only_fields = fields


class DefectReportReceiptSerializer(serializers.ModelSerializer):
    """What a reporter who does not follow the report learns: it was received (and no more: the report belongs to
    the CB concerned, which investigates it)."""

    class Meta:
        model = DefectReport
        fields = ["id", "certificate_number", "component", "created_at"]
        read_only_fields = fields


class DefectReportWriteSerializer(serializers.ModelSerializer):
    reporter_kind = serializers.ChoiceField(ReporterKind.choices)
    reporter_name = serializers.CharField(max_length=200)
    reporter_email = serializers.EmailField(max_length=254)
    certificate_number = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="Routes the report to its CB."
    )
    component = serializers.CharField(max_length=300, help_text="Part number, lot.")
    description = serializers.CharField(max_length=10000)

    class Meta:
        model = DefectReport
        fields = ["reporter_kind", "reporter_name", "reporter_email", "certificate_number", "component", "description"]
        validators = []


class DefectCloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        DefectOutcome.choices,
        help_text="A special audit, a CAR or a suspension of the certificate follows in the same transaction.",
    )
    reason = serializers.CharField(max_length=4000)


# --- the system bulletin (SA-03) --------------------------------------------------------------------------


class BulletinNoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = BulletinNotice
        fields = [
            "id",
            "number",
            "published_at",
            "kind",
            "certificate",
            "certificate_number",
            "manufacturer_name",
            "subject_certification_body",
            "certification_body_name",
            "reason_summary",
            "corrects",
        ]
        read_only_fields = fields


class NoticeCorrectionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="What was wrong in the notice, and what is right.")
