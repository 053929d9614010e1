"""Filters shared by the API and the portal lists of sanctions.

Every filter is declared: generated ones would query tenant-scoped managers when the class is built,
outside any scope.
"""

from datetime import datetime

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from iecq.filtersets import FilterSet

from .choices import AppealState, CARState, DefectOutcome, DefectState, NoticeKind, RequestState
from .models import Appeal, BulletinNotice, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport

# A CAR is late while the manufacturer still owes the answer; a submitted response waits on the CB, not on it.
AWAITING_RESPONSE = (CARState.ISSUED, CARState.ESCALATED)


class _ByParties(FilterSet):
    """Certification body and manufacturer: what every sanction names."""

    certification_body = django_filters.NumberFilter(field_name="certification_body", label=_("Certification body"))
    manufacturer = django_filters.NumberFilter(field_name="manufacturer", label=_("Manufacturer"))
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Opened from"))
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Opened until")
    )


class CARFilter(_ByParties):
    """`?overdue=true`: CARs the manufacturer has not answered by their due date (SA-01)."""

    state = django_filters.MultipleChoiceFilter(choices=CARState.choices, label=_("State"))
    certificate = django_filters.NumberFilter(field_name="certificate", label=_("Certificate"))
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte", label=_("Due from"))
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due until"))
    overdue = django_filters.BooleanFilter(method="by_overdue", label=_("Overdue"))

    class Meta:
        model = CorrectiveActionRequest
        fields = ["state", "certification_body", "manufacturer", "certificate", "due_before", "overdue"]

    def by_overdue(self, queryset, name, value):
        late = Q(state__in=AWAITING_RESPONSE, due_on__lt=timezone.now().date())
        return queryset.filter(late if value else ~late)


class SuspensionRequestFilter(_ByParties):
    state = django_filters.MultipleChoiceFilter(choices=RequestState.choices, label=_("State"))
    certificate = django_filters.NumberFilter(field_name="certificate", label=_("Certificate"))
    supervisory_body = django_filters.NumberFilter(field_name="supervisory_body", label=_("Supervisory body"))

    class Meta:
        model = CertificateSuspensionRequest
        fields = ["state", "certification_body", "manufacturer", "certificate", "supervisory_body"]


class AppealFilter(_ByParties):
    state = django_filters.MultipleChoiceFilter(choices=AppealState.choices, label=_("State"))

    class Meta:
        model = Appeal
        fields = ["state", "certification_body", "manufacturer"]


class DefectReportFilter(_ByParties):
    state = django_filters.MultipleChoiceFilter(choices=DefectState.choices, label=_("State"))
    outcome = django_filters.ChoiceFilter(choices=DefectOutcome.choices, label=_("Outcome"))
    certificate = django_filters.NumberFilter(field_name="certificate", label=_("Certificate"))

    class Meta:
        model = DefectReport
        fields = ["state", "outcome", "certification_body", "manufacturer", "certificate"]


class BulletinNoticeFilter(FilterSet):
    """`?month=2025-03`: one month's issue of the bulletin, as its PDF shows it (SA-03)."""

    kind = django_filters.MultipleChoiceFilter(choices=NoticeKind.choices, label=_("Action"))
    month = django_filters.CharFilter(
        method="by_month",
        label=_("Month published (YYYY-MM)"),
        validators=[RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", _("Give the month as YYYY-MM."))],
    )
    number = django_filters.CharFilter(field_name="number", label=_("Notice number (YYYY/NNNN)"))
    certificate_number = django_filters.CharFilter(
        field_name="certificate_number", lookup_expr="iexact", label=_("Certificate number")
    )

    class Meta:
        model = BulletinNotice
        fields = ["kind", "month", "number", "certificate_number"]

    def by_month(self, queryset, name, value):
        start = datetime.strptime(value, "%Y-%m")
        return queryset.filter(published_at__year=start.year, published_at__month=start.month)
