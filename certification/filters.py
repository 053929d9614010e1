"""Filters shared by the API and the portal lists of the certification app.

Every filter is declared: generated ones would query tenant-scoped managers when the class is built,
outside any scope.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from iecq.filtersets import FilterSet

from .choices import ApplicationState, CertificateState
from .models import Application, Certificate, Evidence


class _ByParties(FilterSet):
    """Certification body, manufacturer, scheme, technology and country: what applications and certificates share."""

    certification_body = django_filters.NumberFilter(field_name="certification_body", label=_("Certification body"))
    manufacturer = django_filters.NumberFilter(field_name="manufacturer", label=_("Manufacturer"))
    scheme = django_filters.NumberFilter(field_name="scheme", label=_("Scheme"))
    technology = django_filters.NumberFilter(field_name="technologies", label=_("Technology"), distinct=True)
    country = django_filters.ChoiceFilter(
        choices=list(countries), method="by_country", label=_("Country (of the manufacturer or of the CB)")
    )

    def by_country(self, queryset, name, value):
        # The same two countries a supervisory body's jurisdiction is matched against.
        return queryset.filter(Q(manufacturer__country=value) | Q(certification_body__country=value))


class ApplicationFilter(_ByParties):
    """`?state=rejected&state=withdrawn` is the register of refused and withdrawn applications."""

    state = django_filters.MultipleChoiceFilter(choices=ApplicationState.choices, label=_("Stage"))
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="icontains", label=_("Reference"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Opened from"))
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Opened until")
    )

    class Meta:
        model = Application
        fields = [
            "state",
            "reference",
            "certification_body",
            "manufacturer",
            "scheme",
            "technology",
            "country",
            "created_after",
            "created_before",
        ]


class EvidenceFilter(FilterSet):
    application = django_filters.NumberFilter(field_name="application", label=_("Application"))
    stage = django_filters.ChoiceFilter(choices=ApplicationState.choices, label=_("Stage"))

    class Meta:
        model = Evidence
        fields = ["application", "stage"]


class CertificateFilter(_ByParties):
    state = django_filters.MultipleChoiceFilter(choices=CertificateState.choices, label=_("Status"))
    number = django_filters.CharFilter(field_name="number", lookup_expr="icontains", label=_("Number"))
    expires_after = django_filters.DateFilter(field_name="expires_on", lookup_expr="gte", label=_("Expires from"))
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte", label=_("Expires until"))

    class Meta:
        model = Certificate
        fields = [
            "state",
            "number",
            "certification_body",
            "manufacturer",
            "scheme",
            "technology",
            "country",
            "expires_after",
            "expires_before",
        ]
