"""Filters of the event feed and the delivery log, shared by the API and the portal.

Every filter is declared: generated ones would query tenant-scoped managers when the class is built.
"""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from ..filtersets import FilterSet
from .choices import DeliveryState
from .models import Event, WebhookDelivery


class EventFilter(FilterSet):
    """`?after=<id>`: events after the last one you processed; `?type=certificate.suspended,certificate.*`;
    `?subject=certification.certificate:42`."""

    after = django_filters.NumberFilter(field_name="id", lookup_expr="gt", label=_("After event"), min_value=0)
    type = django_filters.CharFilter(method="by_type", label=_("Type"))
    subject = django_filters.CharFilter(method="by_subject", label=_("Subject"))

    class Meta:
        model = Event
        fields = ["after", "type", "subject"]

    def by_type(self, queryset, name, value):
        q = Q()
        for wanted in (v.strip() for v in value.split(",")):
            if wanted.endswith(".*"):
                q |= Q(type__startswith=wanted[:-1])
            elif wanted:
                q |= Q(type=wanted)
        return queryset.filter(q) if q else queryset

    def by_subject(self, queryset, name, value):
        subject_type, _sep, subject_id = value.strip().rpartition(":")
        if not subject_type or not subject_id.isdigit():
            raise ValidationError(
                {"subject": ["Give the subject as <app>.<model>:<id>, e.g. certification.certificate:42."]}
            )
        return queryset.filter(subject_type=subject_type.lower(), subject_id=int(subject_id))


class WebhookDeliveryFilter(FilterSet):
    subscription = django_filters.NumberFilter(field_name="subscription", label=_("Subscription"))
    state = django_filters.ChoiceFilter(choices=DeliveryState.choices, label=_("State"))

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "state"]
