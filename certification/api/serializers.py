from django.urls import reverse
from rest_framework import serializers

from bodies.models import Auditor, CertificationBody, Scheme, Technology
from iecq.api.fields import ListedPrimaryKeyRelatedField, VisiblePrimaryKeyRelatedField
from manufacturers.models import Manufacturer, Site

from ..choices import SCOPE_TEXT_MAX_LENGTH, ApplicationState, EvaluationRole, QualificationRoute
from ..models import Application, Certificate, CertificateRevision, EvaluationAuditor, Evidence

# --- applications -----------------------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer):
    serializer_related_field = ListedPrimaryKeyRelatedField  # its list view prefetches (PrefetchMixin)

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "manufacturer",
            "certification_body",
            "scheme",
            "route",
            "technologies",
            "component_types",
            "specifications",
            "sites",
            "state",
            "submitted_on",
            "decided_on",
            "created_by_label",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationWriteSerializer(serializers.ModelSerializer):
    """An inquiry to a CB; `manufacturer` only when CB staff record one for a client."""

    certification_body = VisiblePrimaryKeyRelatedField(CertificationBody)
    manufacturer = VisiblePrimaryKeyRelatedField(Manufacturer, required=False)
    scheme = serializers.PrimaryKeyRelatedField(queryset=Scheme.objects.all())
    route = serializers.ChoiceField(choices=QualificationRoute.choices, required=False)
    technologies = serializers.PrimaryKeyRelatedField(many=True, queryset=Technology.objects.all())
    component_types = serializers.CharField(max_length=SCOPE_TEXT_MAX_LENGTH)
    specifications = serializers.CharField(required=False, allow_blank=True, max_length=SCOPE_TEXT_MAX_LENGTH)
    sites = VisiblePrimaryKeyRelatedField(Site, many=True)

    class Meta:
        model = Application
        fields = [
            "certification_body",
            "manufacturer",
            "scheme",
            "route",
            "technologies",
            "component_types",
            "specifications",
            "sites",
        ]
        validators = []

    def validate(self, attrs):
        if self.partial:
            fixed = sorted({"certification_body", "manufacturer"} & set(attrs))
            if fixed:
                raise serializers.ValidationError({name: "An application cannot move." for name in fixed})
        return attrs


class EvaluationAuditorSerializer(serializers.ModelSerializer):
    auditor_name = serializers.CharField(source="auditor.name", read_only=True)
    role = serializers.ChoiceField(EvaluationRole.choices, read_only=True)

    class Meta:
        model = EvaluationAuditor
        fields = ["id", "application", "auditor", "auditor_name", "role", "assigned_by_label", "assigned_at"]
        read_only_fields = fields


class TeamAssignSerializer(serializers.ModelSerializer):
    auditor = VisiblePrimaryKeyRelatedField(Auditor)
    role = serializers.ChoiceField(EvaluationRole.choices, default=EvaluationRole.MEMBER)

    class Meta:
        model = EvaluationAuditor
        fields = ["auditor", "role"]
        validators = []


# --- evidence ---------------------------------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    """Metadata only: the storage name and path are never shown; the file is fetched from `download_url`."""

    stage = serializers.ChoiceField(ApplicationState.choices, read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "application",
            "stage",
            "title",
            "effective_on",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by_label",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj: Evidence) -> str:
        return reverse("api:evidence-download", args=[obj.pk])


class EvidenceUploadSerializer(serializers.ModelSerializer):
    application = VisiblePrimaryKeyRelatedField(Application)
    title = serializers.CharField(max_length=200)
    effective_on = serializers.DateField()
    # Size, emptiness and type (by content) are the service's rules, so the portal and the API say the same.
    file = serializers.FileField(allow_empty_file=True, max_length=200)

    class Meta:
        model = Evidence
        fields = ["application", "title", "effective_on", "file"]
        validators = []


# --- certificates -----------------------------------------------------------------------------------


class CertificateSerializer(serializers.ModelSerializer):
    serializer_related_field = ListedPrimaryKeyRelatedField  # its list view prefetches (PrefetchMixin)

    class Meta:
        model = Certificate
        fields = [
            "id",
            "number",
            "manufacturer",
            "certification_body",
            "scheme",
            "application",
            "technologies",
            "component_types",
            "specifications",
            "sites",
            "issued_on",
            "period_start",
            "expires_on",
            "state",
            "revision",
            "mark_allowed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CertificateRevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CertificateRevision
        fields = ["number", "snapshot", "reason", "created_by_label", "created_at"]
        read_only_fields = fields


class CertificateTransferSerializer(serializers.ModelSerializer):
    """The target CB by id: the operator sees every CB."""

    to_certification_body = VisiblePrimaryKeyRelatedField(CertificationBody, source="certification_body")
    reason = serializers.CharField(max_length=4000)

    class Meta:
        model = Certificate
        fields = ["to_certification_body", "reason"]
        validators = []


class CertificateScopeSerializer(serializers.ModelSerializer):
    """The new scope; what is left out stays as it is."""

    reason = serializers.CharField(max_length=4000)
    component_types = serializers.CharField(required=False, max_length=SCOPE_TEXT_MAX_LENGTH)
    specifications = serializers.CharField(required=False, allow_blank=True, max_length=SCOPE_TEXT_MAX_LENGTH)
    sites = VisiblePrimaryKeyRelatedField(Site, many=True, required=False)
    technologies = serializers.PrimaryKeyRelatedField(many=True, queryset=Technology.objects.all(), required=False)

    class Meta:
        model = Certificate
        fields = ["reason", "component_types", "specifications", "sites", "technologies"]
        validators = []
