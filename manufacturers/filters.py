import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from iecq.filtersets import FilterSet

from .models import Engagement, Manufacturer, Site


class ManufacturerFilter(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    country = django_filters.ChoiceFilter(choices=list(countries), label=_("Country"))
    certification_body = django_filters.NumberFilter(
        field_name="engagements__certification_body", label=_("Certification body"), distinct=True
    )

    class Meta:
        model = Manufacturer
        fields = ["q", "country", "certification_body"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value))


class SiteFilter(FilterSet):
    manufacturer = django_filters.NumberFilter(field_name="manufacturer")
    country = django_filters.ChoiceFilter(choices=list(countries), label=_("Country"))

    class Meta:
        model = Site
        fields = ["manufacturer", "country"]


class EngagementFilter(FilterSet):
    manufacturer = django_filters.NumberFilter(field_name="manufacturer")
    certification_body = django_filters.NumberFilter(field_name="certification_body")

    class Meta:
        model = Engagement
        fields = ["manufacturer", "certification_body"]
