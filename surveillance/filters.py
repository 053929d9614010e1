"""Filters shared by the API and the portal lists of surveillance.

Every filter is declared: generated ones would query tenant-scoped managers when the class is built,
outside any scope.
"""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from iecq.filtersets import FilterSet

from .choices import (
    AuditKind,
    AuditState,
    ComplaintKind,
    Grade,
    NonconformityState,
    PCNImpact,
    PCNState,
    SampleResult,
    SampleSource,
)
from .models import Complaint, Nonconformity, PCNDocument, ProcessChangeNotification, ProductSample, SurveillanceAudit


class _ByParties(FilterSet):
    """Certification body, manufacturer and certificate: what every surveillance record names."""

    certification_body = django_filters.NumberFilter(field_name="certification_body", label=_("Certification body"))
    manufacturer = django_filters.NumberFilter(field_name="manufacturer", label=_("Manufacturer"))
    certificate = django_filters.NumberFilter(field_name="certificate", label=_("Certificate"))


class AuditFilter(_ByParties):
    """`?state=planned&state=scheduled&due_before=…`: the audits still to hold by a date."""

    state = django_filters.MultipleChoiceFilter(choices=AuditState.choices, label=_("State"))
    kind = django_filters.ChoiceFilter(choices=AuditKind.choices, label=_("Kind"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due until"))
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    country = django_filters.ChoiceFilter(
        choices=list(countries), method="by_country", label=_("Country (of the manufacturer or of the CB)")
    )

    class Meta:
        model = SurveillanceAudit
        fields = [
            "state",
            "kind",
            "certification_body",
            "manufacturer",
            "certificate",
            "due_before",
            "due_after",
            "country",
        ]

    def by_country(self, queryset, name, value):
        # The same two countries a supervisory body's jurisdiction is matched against.
        return queryset.filter(Q(manufacturer__country=value) | Q(certification_body__country=value))


class NonconformityFilter(_ByParties):
    """`?overdue=true`: open corrective actions past their due date."""

    state = django_filters.MultipleChoiceFilter(choices=NonconformityState.choices, label=_("State"))
    grade = django_filters.ChoiceFilter(choices=Grade.choices, label=_("Grade"))
    audit = django_filters.NumberFilter(field_name="audit", label=_("Audit"))
    sample = django_filters.NumberFilter(field_name="sample", label=_("Sample"))
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due until"))
    overdue = django_filters.BooleanFilter(method="by_overdue", label=_("Overdue"))

    class Meta:
        model = Nonconformity
        fields = [
            "state",
            "grade",
            "certification_body",
            "manufacturer",
            "certificate",
            "audit",
            "sample",
            "due_before",
            "overdue",
        ]

    def by_overdue(self, queryset, name, value):
        late = Q(due_on__lt=timezone.now().date()) & ~Q(state=NonconformityState.CLOSED)
        return queryset.filter(late if value else ~late)


class SampleFilter(_ByParties):
    result = django_filters.ChoiceFilter(choices=SampleResult.choices, label=_("Result"))
    source = django_filters.ChoiceFilter(choices=SampleSource.choices, label=_("Source"))
    laboratory = django_filters.NumberFilter(field_name="laboratory", label=_("Laboratory"))
    audit = django_filters.NumberFilter(field_name="audit", label=_("Audit"))
    taken_after = django_filters.DateFilter(field_name="taken_on", lookup_expr="gte", label=_("Taken from"))
    taken_before = django_filters.DateFilter(field_name="taken_on", lookup_expr="lte", label=_("Taken until"))

    class Meta:
        model = ProductSample
        fields = ["result", "source", "certification_body", "manufacturer", "certificate", "laboratory", "audit"]


class ComplaintFilter(_ByParties):
    """`?reviewed=false`: complaints and field failures no audit has reviewed yet."""

    kind = django_filters.ChoiceFilter(choices=ComplaintKind.choices, label=_("Kind"))
    reviewed = django_filters.BooleanFilter(
        field_name="reviewed_in", lookup_expr="isnull", exclude=True, label=_("Reviewed at an audit")
    )
    reviewed_in = django_filters.NumberFilter(field_name="reviewed_in", label=_("Reviewed at audit"))
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", label=_("Received from"))
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", label=_("Received until"))

    class Meta:
        model = Complaint
        fields = [
            "kind",
            "certification_body",
            "manufacturer",
            "certificate",
            "reviewed",
            "reviewed_in",
            "received_after",
            "received_before",
        ]


class PCNFilter(_ByParties):
    state = django_filters.MultipleChoiceFilter(choices=PCNState.choices, label=_("State"))
    impact = django_filters.ChoiceFilter(choices=PCNImpact.choices, label=_("Impact"))
    planned_after = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte", label=_("Planned from"))
    planned_before = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte", label=_("Planned until"))

    class Meta:
        model = ProcessChangeNotification
        fields = ["state", "impact", "certificate", "manufacturer", "certification_body"]


class PCNDocumentFilter(FilterSet):
    pcn = django_filters.NumberFilter(field_name="pcn", label=_("Process change notification"))

    class Meta:
        model = PCNDocument
        fields = ["pcn"]
