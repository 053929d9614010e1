"""Portal forms and list filters of the certification app. Forms collect input only: every rule is the service's.
Choices over tenant-owned models are built per request from the principal's view (`iecq.selectors.visible`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bodies.choices import CertificationBodyState
from bodies.forms import DateInput
from bodies.models import Auditor, CertificationBody, Scheme, Technology
from iecq.portal.filters import DatePickersMixin, reference_choices, visible_party_filter, visible_to_request
from iecq.principals import Principal
from iecq.selectors import visible
from manufacturers.models import Manufacturer, Site

from .choices import SCOPE_TEXT_MAX_LENGTH, ApplicationState, EvaluationRole, QualificationRoute
from .filters import ApplicationFilter, CertificateFilter
from .models import Application, Certificate

REFUSED_STATES = (ApplicationState.REJECTED, ApplicationState.WITHDRAWN)


# --- list filters ---------------------------------------------------------------------------------------


# The shared filters take bare ids (fit for the API); the portal offers the same parameters as choices of what
# the user sees. Declared in each class body: django-filter lets a base class's filter win over a mixin's.


class ApplicationPortalFilter(DatePickersMixin, ApplicationFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    scheme = django_filters.ModelChoiceFilter(queryset=reference_choices(Scheme), label=_("Scheme"))
    technology = django_filters.ModelChoiceFilter(
        field_name="technologies", queryset=reference_choices(Technology), label=_("Technology"), distinct=True
    )

    class Meta(ApplicationFilter.Meta):
        pass


class RefusedApplicationPortalFilter(ApplicationPortalFilter):
    """The register of refused and withdrawn applications: only those two outcomes to choose from."""

    state = django_filters.MultipleChoiceFilter(
        choices=[(s.value, s.label) for s in REFUSED_STATES], label=_("Outcome")
    )

    class Meta(ApplicationPortalFilter.Meta):
        pass


class CertificatePortalFilter(DatePickersMixin, CertificateFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    scheme = django_filters.ModelChoiceFilter(queryset=reference_choices(Scheme), label=_("Scheme"))
    technology = django_filters.ModelChoiceFilter(
        field_name="technologies", queryset=reference_choices(Technology), label=_("Technology"), distinct=True
    )

    class Meta(CertificateFilter.Meta):
        pass


# --- applications ---------------------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    certification_body = forms.ModelChoiceField(
        label=_("Certification body"),
        queryset=CertificationBody.objects.none(),
        help_text=_("The approved certification body you apply to. It must have your technologies in its scope."),
    )
    scheme = forms.ModelChoiceField(
        label=_("Scheme"),
        queryset=Scheme.objects.none(),
        help_text=_("The IECQ scheme you want to be certified under."),
    )
    route = forms.ChoiceField(
        label=_("Qualification route"),
        choices=QualificationRoute.choices,
        help_text=_(
            "Technology qualification covers a technology as a whole; capability approval covers your capability "
            "to design and make components within stated limits."
        ),
    )
    technologies = forms.ModelMultipleChoiceField(
        label=_("Technologies"),
        queryset=Technology.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The component technologies the certificate is to cover."),
    )
    component_types = forms.CharField(
        label=_("Component types"),
        max_length=SCOPE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The specific component types to be certified, for example 'MLCC, class 1 and class 2'."),
    )
    specifications = forms.CharField(
        label=_("Specifications"),
        max_length=SCOPE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The specifications the components conform to (numbers and editions), one per line."),
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your manufacturing sites the certificate is to cover. Add missing sites on your company page."),
    )

    def __init__(self, *args, principal: Principal, manufacturer_id: int | None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the CB of an application does not change
            del self.fields["certification_body"]
        else:
            self.fields["certification_body"].queryset = visible(CertificationBody, principal).filter(
                state=CertificationBodyState.APPROVED
            )
        self.fields["scheme"].queryset = Scheme.objects.all()
        self.fields["technologies"].queryset = Technology.objects.all()
        self.fields["sites"].queryset = visible(Site, principal).filter(manufacturer_id=manufacturer_id)


class EvidenceForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("What the document is, for example 'Quality manual, issue 4'."),
    )
    effective_on = forms.DateField(
        label=_("Effective date"),
        widget=DateInput(),
        help_text=_("The date the document takes effect, not today's upload date. It cannot be in the future."),
    )
    file = forms.FileField(label=_("Document"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request, so that it is said in the user's language.
        self.fields["file"].help_text = _(
            "PDF, PNG or JPEG, up to %(mb)d MB. The type is checked from the content, not from the name."
        ) % {"mb": settings.IECQ_EVIDENCE_MAX_BYTES // 2**20}


class AuditorAssignForm(forms.Form):
    auditor = forms.ModelChoiceField(
        label=_("Auditor"),
        queryset=Auditor.objects.none(),
        help_text=_(
            "The assignment check runs first: qualification, training, competence in every technology of the "
            "application, the declaration of interests and conflicts with this manufacturer (CB-03, CB-04)."
        ),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=EvaluationRole.choices,
        initial=EvaluationRole.MEMBER,
        help_text=_("A team has one lead auditor."),
    )

    def __init__(self, *args, principal: Principal, application: Application, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auditor"].queryset = visible(Auditor, principal).filter(
            certification_body_id=application.certification_body_id
        )


# --- certificates ---------------------------------------------------------------------------------------


class CertificateScopeForm(forms.Form):
    technologies = forms.ModelMultipleChoiceField(
        label=_("Technologies"),
        queryset=Technology.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only technologies within the certification body's scope can be certified (CB-02)."),
    )
    component_types = forms.CharField(
        label=_("Component types"),
        max_length=SCOPE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The component types the certificate covers."),
    )
    specifications = forms.CharField(
        label=_("Specifications"),
        max_length=SCOPE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The specifications the components conform to."),
    )
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"),
        queryset=Site.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The manufacturer's sites the certificate covers."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the scope changes; it is kept with the new revision of the certificate."),
    )

    def __init__(self, *args, principal: Principal, certificate: Certificate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technologies"].queryset = Technology.objects.all()
        self.fields["sites"].queryset = visible(Site, principal).filter(manufacturer_id=certificate.manufacturer_id)


class CertificateTransferForm(forms.Form):
    to_certification_body = forms.ModelChoiceField(
        label=_("Transfer to"),
        queryset=CertificationBody.objects.none(),
        help_text=_("An approved certification body with the certificate's technologies in its scope."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the certificate moves; it is kept in the history and the new revision."),
    )

    def __init__(self, *args, principal: Principal, certificate: Certificate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_certification_body"].queryset = (
            visible(CertificationBody, principal)
            .filter(state=CertificationBodyState.APPROVED)
            .exclude(pk=certificate.certification_body_id)
        )
