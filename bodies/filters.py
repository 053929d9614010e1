"""Filters shared by the API and the portal lists."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .choices import CertificationBodyState
from .models import CertificationBody


class CertificationBodyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(choices=CertificationBodyState.choices, label=_("State"))
    country = django_filters.ChoiceFilter(choices=list(countries), label=_("Country"))

    class Meta:
        model = CertificationBody
        fields = ["q", "state", "country"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value))
