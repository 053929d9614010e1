"""Portal forms and list filters of sanctions (SA-01 … SA-06). Forms collect input only: every rule is the
service's. Choices over tenant-owned models are built per request from the principal's view
(`iecq.selectors.visible`), never at class level, where a tenant-scoped manager would refuse to answer."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bodies.forms import date_field
from certification.choices import CertificateState
from certification.models import Certificate
from iecq.filtersets import FilterSet
from iecq.models import TransitionLog
from iecq.portal.filters import visible_party_filter, visible_to_request
from iecq.principals import Principal
from iecq.selectors import visible
from iecq.transitions import declared_transitions
from manufacturers.models import Manufacturer

from .choices import AppealState, CARState, DefectOutcome, DefectState, RequestState
from .models import Appeal, CertificateSuspensionRequest, CorrectiveActionRequest, DefectReport
from .services import REVERSALS

# A CAR not answered by its date: still awaiting the response, or already escalated by the sweep (SA-01).
UNANSWERED = (CARState.ISSUED, CARState.ESCALATED)

# What each outcome of a defect investigation does, said where the CB chooses it (services.defect_transition).
DEFECT_OUTCOME_EFFECTS = {
    DefectOutcome.NO_ACTION: _("Nothing follows; the reason is recorded."),
    DefectOutcome.SPECIAL_AUDIT: _("A special audit of the certificate is planned, due in 30 days."),
    DefectOutcome.CAR: _("A corrective action request is issued to the manufacturer, answerable online."),
    DefectOutcome.SANCTION: _("The certificate is suspended at once and the suspension is published in the bulletin."),
}


def _any_yes_no() -> forms.Select:
    """A yes/no filter whose empty choice reads "any"."""
    return forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


def _text(label, help_text="", *, rows: int = 4, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# --- list filters -------------------------------------------------------------------------------------------


class CARPortalFilter(FilterSet):
    """`?state=issued&overdue=true`: the CARs whose answer is late."""

    state = django_filters.ChoiceFilter(choices=CARState.choices, label=_("State"))
    overdue = django_filters.BooleanFilter(
        method="by_overdue", label=_("Overdue (not answered, past its due date)"), widget=_any_yes_no()
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))

    class Meta:
        model = CorrectiveActionRequest
        fields = ["state", "overdue", "manufacturer", "certificate"]

    def by_overdue(self, queryset, name, value):
        late = Q(state__in=UNANSWERED, due_on__lt=timezone.now().date())
        return queryset.filter(late) if value else queryset.exclude(late)


class SuspensionRequestPortalFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=RequestState.choices, label=_("State"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))

    class Meta:
        model = CertificateSuspensionRequest
        fields = ["state", "certificate"]


class AppealPortalFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=AppealState.choices, label=_("State"))
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))

    class Meta:
        model = Appeal
        fields = ["state", "manufacturer"]


class DefectReportPortalFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=DefectState.choices, label=_("State"))
    outcome = django_filters.ChoiceFilter(choices=DefectOutcome.choices, label=_("Outcome"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))

    class Meta:
        model = DefectReport
        fields = ["state", "outcome", "certificate"]


# --- corrective action requests (SA-01, SA-06) -------------------------------------------------------------


class CertificateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Certificate) -> str:
        return f"{obj.number} · {obj.manufacturer.name} ({obj.get_state_display()})"


class CARIssueForm(forms.Form):
    certificate = CertificateChoiceField(
        label=_("Certificate"),
        queryset=Certificate.objects.none(),
        help_text=_("The certificate whose holder must correct something. Only your certificates in force."),
    )
    request = _text(
        _("What must be corrected"),
        _("The requirement not met and the evidence expected in the answer. The manufacturer reads this text."),
        rows=6,
    )
    due_on = date_field(_("Response due"), required=False)

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = (
            visible(Certificate, principal)
            .filter(
                certification_body_id=principal.certification_body_id,
                state__in=(CertificateState.VALID, CertificateState.SUSPENDED),
            )
            .select_related("manufacturer")
            .order_by("number")
        )
        # Built per request, so that it is said in the user's language.
        self.fields["due_on"].help_text = _(
            "Leave empty for the usual %(days)d days. Unanswered by this date, the request escalates and a "
            "suspension is proposed to the certification manager."
        ) % {"days": settings.IECQ_CAR_DAYS}


class CARRespondForm(forms.Form):
    response = _text(
        _("Your response"),
        _(
            "What you corrected, the root cause, how you prevent it from happening again, and the evidence "
            "(document references, records). The certification body accepts it or sends it back."
        ),
        rows=8,
    )


class UnnotifiedChangeForm(forms.Form):
    """SA-06: a change the audit team found that the manufacturer never notified."""

    title = forms.CharField(
        label=_("Change"),
        max_length=200,
        help_text=_("In a few words, for example 'Moulding compound supplier changed'."),
    )
    description = _text(
        _("What was found"),
        _("What changed, since when, and the objective evidence seen at the audit. It is recorded as a PCN."),
        rows=6,
    )


# --- supervisory requests to suspend a certificate (SA-02) --------------------------------------------------


class SuspensionRequestForm(forms.Form):
    certificate = CertificateChoiceField(
        label=_("Certificate"),
        queryset=Certificate.objects.none(),
        help_text=_("A valid certificate of your country. Its certification body must decide on your request."),
    )
    reason = _text(
        _("Reason"),
        _("Why the certificate should be suspended, with the facts the certification body can check."),
        rows=6,
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = (
            visible(Certificate, principal)
            .filter(state=CertificateState.VALID)
            .select_related("manufacturer")
            .order_by("number")
        )


# --- appeals (SA-04) ------------------------------------------------------------------------------------------


def appealable_decisions(principal: Principal) -> models.QuerySet[TransitionLog]:
    """The decisions about the principal's own records (a manufacturer's, or the CB itself) it may still appeal:
    of a kind that can be appealed (`services.REVERSALS`), within the appeal period, and not already under an
    appeal that is not dismissed."""
    kinds = reduce(
        or_,
        (Q(content_type__app_label=app, content_type__model=model, transition=name) for app, model, name in REVERSALS),
    )
    since = timezone.now().date() - timedelta(days=settings.IECQ_APPEAL_DAYS)
    under_appeal = visible(Appeal, principal).exclude(state=AppealState.DISMISSED).values("decision_id")
    if principal.is_cb:  # a CB appeals the operator's decisions about the CB itself
        own = Q(content_type__model="certificationbody", object_id=principal.certification_body_id)
    else:
        own = Q(manufacturer_id=principal.manufacturer_id)
    return (
        visible(TransitionLog, principal)
        .filter(kinds, own, at__date__gte=since)
        .exclude(pk__in=under_appeal)
        .select_related("content_type")
        .order_by("-at", "-id")
    )


def decision_what(log: TransitionLog) -> str:
    """The decision's name as its transition declares it ("Suspend", "Reject")."""
    model = log.content_type.model_class()
    declared = declared_transitions(model) if model is not None else {}
    return str(declared[log.transition].label) if log.transition in declared else log.transition


def decision_label(log: TransitionLog) -> str:
    """A logged decision as a person names it: what, on which record, when, by whom."""
    return _("%(what)s — %(record)s, %(day)s, by %(who)s") % {
        "what": decision_what(log),
        "record": log.object_repr,
        "day": log.at.date().isoformat(),
        "who": log.actor_label,
    }


class DecisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TransitionLog) -> str:
        return decision_label(obj)


class AppealLodgeForm(forms.Form):
    decision = DecisionChoiceField(
        label=_("Decision appealed"),
        queryset=TransitionLog.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
    )
    grounds = _text(
        _("Grounds"),
        _(
            "Why the decision is wrong, with the facts and documents that show it. People not involved in the "
            "decision examine the appeal."
        ),
        rows=8,
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].queryset = appealable_decisions(principal)
        self.fields["decision"].help_text = _(
            "Suspensions and withdrawals of your certificates and rejections of your applications, decided in the "
            "last %(days)d days. An upheld appeal reverses the decision."
        ) % {"days": settings.IECQ_APPEAL_DAYS}


# --- defect reports (SA-05) ----------------------------------------------------------------------------------


class DefectCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=DefectOutcome.choices, widget=forms.RadioSelect)
    reason = _text(
        _("Reason"),
        _("What the investigation found and why this outcome. It is recorded in the report's history."),
        rows=4,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].help_text = " ".join(
            f"{label}: {DEFECT_OUTCOME_EFFECTS[value]}" for value, label in DefectOutcome.choices
        )
