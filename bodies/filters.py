"""Filters shared by the API and the portal lists of the bodies app."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from iecq.filtersets import FilterSet

from .choices import (
    AssessmentResult,
    CBAssessmentKind,
    CBAssessmentState,
    CertificationBodyState,
    FindingSeverity,
    LabActionState,
    RequirementCategory,
    SuspensionRequestState,
)
from .models import (
    Accreditation,
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
    RequirementAssessment,
    TestLaboratory,
)


class CertificationBodyFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(choices=CertificationBodyState.choices, label=_("State"))
    country = django_filters.ChoiceFilter(choices=list(countries), label=_("Country"))
    technology = django_filters.NumberFilter(field_name="technologies", label=_("Technology"), distinct=True)

    class Meta:
        model = CertificationBody
        fields = ["q", "state", "country", "technology"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value))


class _ByCB(FilterSet):
    """Filters by certification body and (through it) country; `cb_path` is the lookup to the CB."""

    cb_path = "certification_body"
    certification_body = django_filters.NumberFilter(method="by_cb", label=_("Certification body"))
    country = django_filters.ChoiceFilter(choices=list(countries), method="by_country", label=_("Country"))

    def by_cb(self, queryset, name, value):
        return queryset.filter(**{self.cb_path: value})

    def by_country(self, queryset, name, value):
        return queryset.filter(**{f"{self.cb_path}__country": value})


class AccreditationFilter(_ByCB):
    valid_on = django_filters.DateFilter(method="by_valid_on", label=_("Valid on"))
    accreditation_body = django_filters.NumberFilter(field_name="accreditation_body")

    class Meta:
        model = Accreditation
        fields = ["certification_body", "country", "accreditation_body", "valid_on"]

    def by_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_until__gte=value, withdrawn_on__isnull=True)


class RequirementAssessmentFilter(_ByCB):
    category = django_filters.ChoiceFilter(choices=RequirementCategory.choices)
    result = django_filters.ChoiceFilter(choices=AssessmentResult.choices)

    class Meta:
        model = RequirementAssessment
        fields = ["certification_body", "country", "category", "result"]


class DeclarationFilter(_ByCB):
    auditor = django_filters.NumberFilter(field_name="auditor")
    valid_on = django_filters.DateFilter(method="by_valid_on", label=_("Valid on"))

    class Meta:
        model = IndependenceDeclaration
        fields = ["certification_body", "country", "auditor", "valid_on"]

    def by_valid_on(self, queryset, name, value):
        return queryset.filter(signed_on__lte=value, valid_until__gte=value)


class AuditorFilter(_ByCB):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    technology = django_filters.NumberFilter(
        field_name="competences__technology", distinct=True, label=_("Competent in")
    )
    qualified_on = django_filters.DateFilter(field_name="qualified_until", lookup_expr="gte", label=_("Qualified on"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Auditor
        fields = ["q", "certification_body", "country", "technology", "qualified_on", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(email__icontains=value))


class AuditorTrainingFilter(_ByCB):
    cb_path = "auditor__certification_body"
    auditor = django_filters.NumberFilter(field_name="auditor")

    class Meta:
        model = AuditorTraining
        fields = ["auditor", "certification_body", "country"]


class AuditorCompetenceFilter(_ByCB):
    cb_path = "auditor__certification_body"
    auditor = django_filters.NumberFilter(field_name="auditor")
    technology = django_filters.NumberFilter(field_name="technology")

    class Meta:
        model = AuditorCompetence
        fields = ["auditor", "technology", "certification_body", "country"]


class LaboratoryFilter(FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    country = django_filters.ChoiceFilter(choices=list(countries), label=_("Country"))
    certification_body = django_filters.NumberFilter(field_name="owner", label=_("Owning CB"))
    independent = django_filters.BooleanFilter(field_name="owner", lookup_expr="isnull", label=_("Independent"))

    class Meta:
        model = TestLaboratory
        fields = ["q", "country", "certification_body", "independent"]


class EquipmentFilter(FilterSet):
    laboratory = django_filters.NumberFilter(field_name="laboratory")
    calibration_due_before = django_filters.DateFilter(
        field_name="calibration_due_on", lookup_expr="lte", label=_("Calibration due by")
    )

    class Meta:
        model = Equipment
        fields = ["laboratory", "calibration_due_before"]


class CalibrationRecordFilter(FilterSet):
    equipment = django_filters.NumberFilter(field_name="equipment")

    class Meta:
        model = CalibrationRecord
        fields = ["equipment"]


class ProficiencyResultFilter(FilterSet):
    laboratory = django_filters.NumberFilter(field_name="laboratory")
    round = django_filters.NumberFilter(field_name="round")
    unsatisfactory = django_filters.BooleanFilter(method="by_unsatisfactory", label=_("Unsatisfactory only"))

    class Meta:
        model = ProficiencyResult
        fields = ["laboratory", "round", "unsatisfactory"]

    def by_unsatisfactory(self, queryset, name, value):
        bad = Q(z_score__gte=3) | Q(z_score__lte=-3)
        return queryset.filter(bad) if value else queryset.exclude(bad)


class LabActionFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=LabActionState.choices)
    laboratory = django_filters.NumberFilter(field_name="result__laboratory")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due until"))

    class Meta:
        model = LabAction
        fields = ["state", "laboratory"]


class CBAssessmentFilter(_ByCB):
    kind = django_filters.ChoiceFilter(choices=CBAssessmentKind.choices)
    state = django_filters.ChoiceFilter(choices=CBAssessmentState.choices)
    planned_after = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte")
    planned_before = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte")

    class Meta:
        model = CBAssessment
        fields = ["certification_body", "country", "kind", "state", "planned_after", "planned_before"]


class OversightFindingFilter(_ByCB):
    severity = django_filters.ChoiceFilter(choices=FindingSeverity.choices)

    class Meta:
        model = OversightFinding
        fields = ["certification_body", "country", "severity"]


class SuspensionRequestFilter(_ByCB):
    state = django_filters.ChoiceFilter(choices=SuspensionRequestState.choices)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Opened from"))
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Opened until")
    )

    class Meta:
        model = CBSuspensionRequest
        fields = ["certification_body", "country", "state"]
