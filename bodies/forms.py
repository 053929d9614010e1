"""Portal forms of the bodies app. They collect input only: every rule is the service's, and querysets over
tenant-owned models are built per request from the principal's view (`iecq.selectors.visible`)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from iecq.principals import Principal
from iecq.selectors import visible
from manufacturers.models import Manufacturer

from .choices import (
    REQUIREMENT_TABLE,
    AssessmentResult,
    CBAssessmentKind,
    FindingSeverity,
    RequirementCategory,
    VerificationMethod,
)
from .models import (
    AccreditationBody,
    CBAssessment,
    CertificationBody,
    ProficiencyRound,
    Scheme,
    SupervisoryBody,
    Technology,
    TestLaboratory,
)


class DateInput(forms.DateInput):
    """A browser date picker; the value travels as ISO 8601."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label, help_text="", *, required: bool = True, today: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=required,
        widget=DateInput(),
        initial=timezone.localdate if today else None,
    )


def country_field(model, help_text="") -> forms.Field:
    """The model's country field as a form field: every country, and a blank choice to start from."""
    return model._meta.get_field("country").formfield(label=_("Country"), help_text=help_text)


class CertificationBodyForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = CertificationBody
        fields = ["name", "legal_name", "country", "website", "email"]

    def validate_unique(self):
        """Uniqueness is the service's decision (it also sees rows this user cannot)."""


class CertificationBodyScopeForm(forms.Form):
    technologies = forms.ModelMultipleChoiceField(
        label=_("Technology scope"),
        queryset=Technology.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The component technologies this CB may certify (CB-02)."),
    )
    schemes = forms.ModelMultipleChoiceField(
        label=_("Schemes"),
        queryset=Scheme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The IECQ schemes this CB operates."),
    )


# --- accreditations and requirement assessments (CB-01, CB-06) ---------------------------------------


class AccreditationForm(forms.Form):
    accreditation_body = forms.ModelChoiceField(
        label=_("Accreditation body"),
        queryset=AccreditationBody.objects.all(),
        help_text=_("Only a signatory of the IAF MLA for product certification makes the accreditation count."),
    )
    certificate_number = forms.CharField(
        label=_("Certificate number"), max_length=60, help_text=_("As printed on the accreditation certificate.")
    )
    scope = forms.CharField(
        label=_("Scope"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("The accredited scope, as stated.")
    )
    valid_from = date_field(_("Valid from"), _("First day the accreditation is in force."))
    valid_until = date_field(_("Valid until"), _("Last day the accreditation is in force."))


def _method_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The verification methods, grouped under the category whose row of the requirement table names them."""
    return [
        (
            RequirementCategory(category).label,
            [(method, VerificationMethod(method).label) for method in methods],
        )
        for category, (_criteria, methods) in REQUIREMENT_TABLE.items()
    ]


class RequirementAssessmentForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Requirement category"),
        choices=RequirementCategory.choices,
        help_text=_("One of the five categories a CB is assessed against (CB-06)."),
    )
    method = forms.ChoiceField(
        label=_("Verification method"),
        choices=_method_choices,
        help_text=_("Choose a method listed under the category assessed."),
    )
    result = forms.ChoiceField(
        label=_("Result"), choices=AssessmentResult.choices, help_text=_("Approval needs all five verified.")
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was examined, and what it showed."),
    )
    evidence_reference = forms.CharField(
        label=_("Evidence reference"),
        max_length=200,
        required=False,
        help_text=_("Report or file number, if any."),
    )
    assessed_on = date_field(_("Assessed on"), _("The day of the assessment; not in the future."), today=True)


# --- oversight (CB-07, CB-08, CB-09) -------------------------------------------------------------------


class CBAssessmentPlanForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=CBAssessmentKind.choices,
        help_text=_("A witness audit takes place at one of the CB's clients."),
    )
    planned_on = date_field(_("Planned on"), _("The day the assessment is to take place."))
    lead_assessor = forms.CharField(label=_("Lead assessor"), max_length=200, help_text=_("Name of the lead assessor."))
    witnessed_manufacturer = forms.ModelChoiceField(
        label=_("Witnessed at (manufacturer)"),
        queryset=Manufacturer.objects.none(),
        required=False,
        help_text=_("For a witness audit only: the client where the CB is witnessed."),
    )

    def __init__(self, *args, principal: Principal, certification_body: CertificationBody, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["witnessed_manufacturer"].queryset = (
            visible(Manufacturer, principal).filter(engagements__certification_body=certification_body).distinct()
        )


class OversightFindingForm(forms.Form):
    severity = forms.ChoiceField(
        label=_("Severity"), choices=FindingSeverity.choices, help_text=_("Observation, minor or major.")
    )
    description = forms.CharField(
        label=_("Finding"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("What was found, and where.")
    )
    assessment = forms.ModelChoiceField(
        label=_("Found at assessment"),
        queryset=CBAssessment.objects.none(),
        required=False,
        help_text=_("The assessment or witness audit where it was found, if any."),
    )

    def __init__(self, *args, principal: Principal, certification_body: CertificationBody, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].queryset = visible(CBAssessment, principal).filter(
            certification_body=certification_body
        )


class SuspensionRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why the operator should suspend this certification body; the operator decides."),
    )


# --- auditors (CB-03, CB-04) ---------------------------------------------------------------------------


class AuditorForm(forms.Form):
    certification_body = forms.ModelChoiceField(
        label=_("Certification body"),
        queryset=CertificationBody.objects.none(),
        help_text=_("The CB the auditor works for."),
    )
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("Full name, as on the qualification."))
    email = forms.EmailField(label=_("Email"), help_text=_("Unique among the CB's auditors."))
    qualified_until = date_field(_("Qualified until"), _("Last day of the current qualification (CB-04)."))
    audits_performed = forms.IntegerField(
        label=_("Audits performed"), min_value=0, initial=0, help_text=_("Experience: audits done so far.")
    )
    experience = forms.CharField(
        label=_("Experience"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Background, sectors and technologies audited."),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("An inactive auditor cannot be assigned.")
    )

    def __init__(self, *args, principal: Principal, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["certification_body"]
        else:
            del self.fields["is_active"]
            if principal.is_operator:
                self.fields["certification_body"].queryset = visible(CertificationBody, principal)
            else:  # CB staff register auditors of their own CB only
                del self.fields["certification_body"]


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("Course"), max_length=200, help_text=_("Title of the course."))
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False, help_text=_("Who gave it."))
    completed_on = date_field(_("Completed on"), _("Not in the future."))
    hours = forms.DecimalField(
        label=_("Hours"), min_value=Decimal("0.5"), max_digits=6, decimal_places=1, help_text=_("Duration, in hours.")
    )


class CompetenceForm(forms.Form):
    technology = forms.ModelChoiceField(
        label=_("Technology"),
        queryset=Technology.objects.none(),
        help_text=_("Only technologies in the CB's scope can be granted."),
    )
    since = date_field(_("Competent since"), _("From this day the auditor may audit this technology."), today=True)
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Training, supervised audits or other grounds for the competence."),
    )

    def __init__(self, *args, technologies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technology"].queryset = technologies


class DeclarationForm(forms.Form):
    signed_on = date_field(_("Signed on"), _("The day the declaration was signed."), today=True)
    no_conflicts = forms.BooleanField(
        label=_("No conflict of interest"),
        required=False,
        help_text=_("Tick only if the declarant has no interest in any manufacturer."),
    )
    conflicted_manufacturers = forms.ModelMultipleChoiceField(
        label=_("Conflicts of interest with"),
        queryset=Manufacturer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The auditor will not be assigned to these manufacturers' work (CB-03)."),
    )
    interests = forms.CharField(
        label=_("Declared interests"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("Employment, consultancy, shares or family ties in the industry."),
    )

    def __init__(self, *args, principal: Principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["conflicted_manufacturers"].queryset = visible(Manufacturer, principal)


class AssignmentCheckForm(forms.Form):
    manufacturer = forms.ModelChoiceField(
        label=_("Manufacturer"),
        queryset=Manufacturer.objects.none(),
        help_text=_("Whose work the auditor would audit."),
    )
    technology = forms.ModelChoiceField(
        label=_("Technology"), queryset=Technology.objects.all(), help_text=_("The technology audited.")
    )
    on = date_field(_("On"), _("The day of the audit."), today=True)

    def __init__(self, *args, principal: Principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manufacturer"].queryset = visible(Manufacturer, principal)


# --- laboratories (CB-05, CB-10) -----------------------------------------------------------------------


class LaboratoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("Unique in its country."))
    country = country_field(TestLaboratory, _("Where the laboratory is."))
    accreditation_reference = forms.CharField(
        label=_("Accreditation (ISO/IEC 17025)"),
        max_length=200,
        required=False,
        help_text=_("Accreditation body and certificate number, if accredited."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owning certification body"),
        queryset=CertificationBody.objects.none(),
        required=False,
        help_text=_("Leave empty for an independent laboratory."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True, help_text=_("Still testing."))

    def __init__(self, *args, principal: Principal, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the country and the owner do not change
            del self.fields["country"], self.fields["owner"]
        else:
            del self.fields["is_active"]
            if principal.is_operator:
                self.fields["owner"].queryset = visible(CertificationBody, principal)
            else:  # CB staff register their own CB's laboratory
                del self.fields["owner"]


class EquipmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("For example: LCR meter."))
    asset_number = forms.CharField(label=_("Asset number"), max_length=60, help_text=_("Unique within the laboratory."))
    calibration_interval_months = forms.IntegerField(
        label=_("Calibration interval (months)"),
        min_value=1,
        max_value=120,
        initial=12,
        help_text=_("The next calibration falls due this many months after each one."),
    )
    calibrated_on = date_field(_("Last calibrated on"), _("Date of the current calibration."))
    certificate_reference = forms.CharField(
        label=_("Calibration certificate"), max_length=200, help_text=_("Number of the calibration certificate.")
    )


class CalibrationForm(forms.Form):
    calibrated_on = date_field(_("Calibrated on"), _("Not in the future."), today=True)
    certificate_reference = forms.CharField(
        label=_("Calibration certificate"), max_length=200, help_text=_("Number of the calibration certificate.")
    )
    due_on = date_field(
        _("Next calibration due"), _("Leave empty to use the equipment's calibration interval."), required=False
    )


class ProficiencyResultForm(forms.Form):
    round = forms.ModelChoiceField(
        label=_("Round"), queryset=ProficiencyRound.objects.all(), help_text=_("The proficiency-testing round.")
    )
    measurand = forms.CharField(label=_("Measurand"), max_length=200, help_text=_("What was measured."))
    z_score = forms.DecimalField(
        label=_("z-score"),
        max_digits=7,
        decimal_places=3,
        help_text=_("|z| ≤ 2 satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory: opens an action."),
    )


# --- reference data ------------------------------------------------------------------------------------


class TechnologyForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Short identifier: letters, digits, dashes."))
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("For example: Capacitors."))
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=_("Optional.")
    )


class SchemeForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Short identifier: letters, digits, dashes."))
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("For example: IECQ Approved Component."))
    document_reference = forms.CharField(
        label=_("Document reference"), max_length=100, help_text=_("The document that defines the scheme.")
    )
    edition = forms.CharField(label=_("Edition"), max_length=40, help_text=_("Edition of that document."))


class AccreditationBodyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("Full name."))
    acronym = forms.CharField(label=_("Acronym"), max_length=20, help_text=_("For example: UKAS."))
    country = country_field(AccreditationBody, _("The country it accredits in."))
    iaf_mla_signatory = forms.BooleanField(
        label=_("IAF MLA signatory"), required=False, help_text=_("Signs the IAF Multilateral Recognition Arrangement.")
    )
    iaf_mla_product_certification = forms.BooleanField(
        label=_("MLA scope covers product certification (ISO/IEC 17065)"),
        required=False,
        help_text=_("Only then do its accreditations count for CB approval (CB-01)."),
    )
    iaf_mla_scope = forms.CharField(
        label=_("IAF MLA scope"), max_length=300, required=False, help_text=_("As published by the IAF.")
    )
    iaf_mla_since = date_field(_("Signatory since"), _("Leave empty if unknown."), required=False)
    iaf_mla_until = date_field(_("Signatory until"), _("Leave empty while it remains a signatory."), required=False)
    website = forms.URLField(
        label=_("Website"), required=False, assume_scheme="https", max_length=200, help_text=_("Optional.")
    )


class SupervisoryBodyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("Full name."))
    country = country_field(SupervisoryBody, _("One supervisory body per country."))


class ProficiencyRoundForm(forms.Form):
    provider = forms.CharField(label=_("Provider"), max_length=200, help_text=_("Who organises the round."))
    code = forms.CharField(label=_("Round"), max_length=60, help_text=_("The provider's round code; unique."))
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("What the round compares."))
    held_on = date_field(_("Held on"), _("Day the round was held."))
    technology = forms.ModelChoiceField(
        label=_("Technology"),
        queryset=Technology.objects.all(),
        required=False,
        help_text=_("The technology concerned, if one."),
    )
