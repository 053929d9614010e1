"""Portal forms and list filters of surveillance (SV-01 … SV-07). Forms collect input only: every rule is the
service's. Choices over tenant-owned models are built per request from the principal's view
(`iecq.selectors.visible`), never at class level, where a tenant-scoped manager would refuse to answer."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bodies.forms import date_field
from bodies.models import Auditor, CertificationBody, Equipment, TestLaboratory
from certification.choices import CertificateState
from certification.models import Certificate
from iecq.portal.filters import DatePickersMixin, visible_party_filter, visible_to_request
from iecq.principals import Principal
from iecq.selectors import visible
from manufacturers.models import Manufacturer

from .choices import (
    OPEN_AUDIT_STATES,
    AuditKind,
    ComplaintKind,
    Grade,
    PCNImpact,
    SampleResult,
    SampleSource,
    SpecialAuditTrigger,
)
from .filters import AuditFilter, ComplaintFilter, NonconformityFilter, PCNFilter, SampleFilter
from .models import SurveillanceAudit

IN_FORCE = (CertificateState.VALID, CertificateState.SUSPENDED)

# What each classification does to the certificate, said where the CB chooses it (SV-05; services.pcn_classify).
PCN_IMPACT_EFFECTS = {
    PCNImpact.NO_IMPACT: _("The PCN is closed at once; the certificate stays as it is."),
    PCNImpact.NEEDS_ASSESSMENT: _(
        "A special audit is planned, due in 30 days; the certificate stays valid meanwhile. Close the PCN once "
        "the assessment is done."
    ),
    PCNImpact.SCOPE_CHANGE: _(
        "The PCN stays under assessment while you change the certificate's scope (a new revision); the "
        "certificate stays valid."
    ),
    PCNImpact.SUSPENDS_PENDING_ASSESSMENT: _(
        "The certificate is suspended at once and a special audit is planned, due in 30 days. When you close "
        "the PCN you decide whether the certificate is reinstated."
    ),
}


# --- list filters ---------------------------------------------------------------------------------------
# The shared filters (`filters.py`, also the API's) take bare ids; the portal offers the same parameters as
# choices of what the user sees, and drops the id-only ones a person would not type. Declared in each class body:
# django-filter lets a base class's filter win over a mixin's.


def _any_yes_no() -> forms.Select:
    """A yes/no filter whose empty choice reads "any" (the same `true`/`false` values as the API)."""
    return forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


class AuditPortalFilter(DatePickersMixin, AuditFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))

    class Meta(AuditFilter.Meta):
        pass


class NonconformityPortalFilter(DatePickersMixin, NonconformityFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))
    overdue = django_filters.BooleanFilter(
        method="by_overdue", label=_("Overdue (not verified, past its due date)"), widget=_any_yes_no()
    )
    audit = None  # reached from the audit's page
    sample = None  # reached from the sample's page

    class Meta(NonconformityFilter.Meta):
        fields = ["state", "grade", "overdue", "due_before", "manufacturer", "certification_body", "certificate"]


class SamplePortalFilter(DatePickersMixin, SampleFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))
    laboratory = django_filters.ModelChoiceFilter(queryset=visible_to_request(TestLaboratory), label=_("Laboratory"))
    audit = None

    class Meta(SampleFilter.Meta):
        fields = ["result", "source", "manufacturer", "certification_body", "certificate", "laboratory"]


class ComplaintPortalFilter(DatePickersMixin, ComplaintFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))
    reviewed = django_filters.BooleanFilter(
        field_name="reviewed_in",
        lookup_expr="isnull",
        exclude=True,
        label=_("Reviewed at an audit"),
        widget=_any_yes_no(),
    )
    reviewed_in = None

    class Meta(ComplaintFilter.Meta):
        fields = [
            "kind",
            "reviewed",
            "received_after",
            "received_before",
            "manufacturer",
            "certification_body",
            "certificate",
        ]


class PCNPortalFilter(PCNFilter):
    certification_body = django_filters.ModelChoiceFilter(
        queryset=visible_to_request(CertificationBody), label=_("Certification body")
    )
    manufacturer = visible_party_filter(Manufacturer, _("Manufacturer"))
    certificate = django_filters.ModelChoiceFilter(queryset=visible_to_request(Certificate), label=_("Certificate"))

    class Meta(PCNFilter.Meta):
        pass


# --- shared pieces ----------------------------------------------------------------------------------------


def _text(label, help_text="", *, rows: int = 4, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, help_text=help_text, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class CertificateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Certificate) -> str:
        return f"{obj.number} · {obj.manufacturer.name} ({obj.get_state_display()})"


def _certificates(principal: Principal) -> models.QuerySet:
    """Certificates in force this principal works on: its CB's, or its own company's."""
    qs = visible(Certificate, principal).filter(state__in=IN_FORCE).select_related("manufacturer")
    if principal.is_cb:
        qs = qs.filter(certification_body_id=principal.certification_body_id)
    elif principal.is_manufacturer:
        qs = qs.filter(manufacturer_id=principal.manufacturer_id)
    return qs.order_by("number")


# --- audits (SV-01, SV-06, SV-07) -----------------------------------------------------------------------


class AuditPlanForm(forms.Form):
    certificate = CertificateChoiceField(
        label=_("Certificate"),
        queryset=Certificate.objects.none(),
        help_text=_("The certificate whose holder is audited. Only certificates in force can be audited."),
    )
    kind = forms.ChoiceField(
        label=_("Kind of audit"),
        choices=[(k.value, k.label) for k in (AuditKind.SURVEILLANCE, AuditKind.RECERTIFICATION, AuditKind.SPECIAL)],
        help_text=_(
            "Annual surveillance of the quality system and production; recertification, a reassessment equivalent "
            "to the initial audit before the certificate expires; or a special audit for a particular reason."
        ),
    )
    due_on = date_field(_("Due by"), _("The date by which the audit must have taken place."))
    trigger = forms.ChoiceField(
        label=_("Reason for a special audit"),
        choices=[("", "—"), *SpecialAuditTrigger.choices],
        required=False,
        help_text=_("Only for a special audit: what it follows."),
    )
    trigger_reference = forms.CharField(
        label=_("Reference of the reason"),
        max_length=200,
        required=False,
        help_text=_("For example the number of the complaint, defect report or PCN."),
    )
    plan = _text(
        _("Audit plan"),
        _("Scope, sites, processes and records to be audited. It can be completed until the audit starts."),
        required=False,
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = _certificates(principal)


class AuditEditForm(forms.Form):
    """The audit date and plan before the audit, the report during it (services.audit_update)."""

    due_on = date_field(_("Due by"), _("The date by which the audit must have taken place."))
    scheduled_for = date_field(
        _("Audit date"), _("The day the audit takes place. Needed before the audit can be scheduled."), required=False
    )
    plan = _text(_("Audit plan"), _("Scope, sites, processes and records to be audited."), rows=6, required=False)
    report = _text(
        _("Report"),
        _("What was audited, what was found and the conclusion. Record each nonconformity separately on the audit."),
        rows=10,
        required=False,
    )

    def __init__(self, *args: Any, editable: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in editable:
                del self.fields[name]


class AuditTeamAssignForm(forms.Form):
    auditor = forms.ModelChoiceField(
        label=_("Auditor"),
        queryset=Auditor.objects.none(),
        help_text=_(
            "The assignment check runs first: qualification on the audit date, training, competence in every "
            "technology of the certificate, the declaration of interests and conflicts with this manufacturer "
            "(CB-03, CB-04). Every reason for a refusal is shown."
        ),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("member", _("Member")), ("lead", _("Lead auditor"))],
        initial="member",
        help_text=_("A team has one lead auditor."),
    )

    def __init__(self, *args: Any, principal: Principal, audit: SurveillanceAudit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["auditor"].queryset = visible(Auditor, principal).filter(
            certification_body_id=audit.certification_body_id
        )


class NonconformityRecordForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Grade"),
        choices=Grade.choices,
        widget=forms.RadioSelect,
    )
    requirement = forms.CharField(
        label=_("Requirement"),
        max_length=300,
        help_text=_("The clause or requirement not met, for example 'IEC 60384-1, 4.2' or 'QMS procedure QP-07'."),
    )
    description = _text(_("Finding"), _("What was found, where, and the objective evidence."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request, so that it is said in the user's language.
        self.fields["grade"].help_text = _(
            "Major: the quality system or the product fails a requirement; the correction is due in %(major)d days. "
            "Minor: a lapse that does not put conformity at risk; due in %(minor)d days."
        ) % {"major": settings.IECQ_NC_DAYS["major"], "minor": settings.IECQ_NC_DAYS["minor"]}


# --- nonconformities (SV-04) -------------------------------------------------------------------------------


class NonconformityRespondForm(forms.Form):
    corrective_action = _text(
        _("Corrective action"),
        _("What you corrected and how you prevent recurrence."),
        rows=6,
    )


# --- samples (SV-02) ----------------------------------------------------------------------------------------


class EquipmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Equipment) -> str:
        if obj.calibration_overdue():
            note = _("calibration overdue since %(day)s") % {"day": obj.calibration_due_on.isoformat()}
        else:
            note = _("calibrated until %(day)s") % {"day": obj.calibration_due_on.isoformat()}
        return f"{obj.laboratory.name}: {obj} — {note}"


class SampleRecordForm(forms.Form):
    certificate = CertificateChoiceField(
        label=_("Certificate"),
        queryset=Certificate.objects.none(),
        help_text=_("The certificate covering the sampled product."),
    )
    audit = forms.ModelChoiceField(
        label=_("Taken at audit"),
        queryset=SurveillanceAudit.objects.none(),
        required=False,
        help_text=_("Leave empty for a sample taken outside an audit, for example bought on the market."),
    )
    source = forms.ChoiceField(label=_("Source"), choices=SampleSource.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("Sample"),
        max_length=300,
        help_text=_("Component type, batch or date code and quantity, for example 'MLCC 0603 X7R, lot 2417, 50 pcs'."),
    )
    taken_on = date_field(_("Taken on"), _("The day the sample was taken or bought; not in the future."), today=True)
    laboratory = forms.ModelChoiceField(
        label=_("Laboratory"),
        queryset=TestLaboratory.objects.none(),
        help_text=_("The laboratory that tests the sample: one of your own or an independent one."),
    )
    equipment = EquipmentChoiceField(
        label=_("Equipment"),
        queryset=Equipment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The laboratory's equipment used for the test. Equipment overdue for calibration cannot be used (CB-10)."
        ),
    )

    def __init__(
        self, *args: Any, principal: Principal, laboratory_id: str | None = None, reload_url: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = _certificates(principal)
        audits = visible(SurveillanceAudit, principal).filter(state__in=OPEN_AUDIT_STATES)
        if principal.is_cb:
            audits = audits.filter(certification_body_id=principal.certification_body_id)
        self.fields["audit"].queryset = audits.select_related("manufacturer")
        labs = visible(TestLaboratory, principal)
        self.fields["laboratory"].queryset = labs
        equipment = visible(Equipment, principal).filter(laboratory__in=labs).select_related("laboratory")
        if not self.is_bound and laboratory_id and str(laboratory_id).isdigit():
            # Offer the chosen laboratory's equipment; a bound form accepts any, so the service can say what is wrong.
            equipment = equipment.filter(laboratory_id=int(laboratory_id))
        self.fields["equipment"].queryset = equipment.order_by("laboratory__name", "name")
        if reload_url:
            self.fields["laboratory"].widget.attrs.update(
                {
                    "hx-get": reload_url,
                    "hx-trigger": "change",
                    "hx-target": "#id_equipment-field",
                    "hx-select": "#id_equipment-field",
                    "hx-swap": "outerHTML",
                }
            )


class SampleResultForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Result"),
        choices=[
            (SampleResult.PASS.value, SampleResult.PASS.label),
            (SampleResult.FAIL.value, SampleResult.FAIL.label),
        ],
        widget=forms.RadioSelect,
        help_text=_("A failure raises a major nonconformity against the certificate at once."),
    )
    test_report = _text(
        _("Test report"), _("The tests performed, against which specification, and their results."), rows=6
    )
    reason = _text(
        _("Reason for a failure"),
        _("Required for a failure: what failed. It becomes the finding of the nonconformity."),
        rows=3,
        required=False,
    )


# --- complaints (SV-03) ------------------------------------------------------------------------------------


class ComplaintRecordForm(forms.Form):
    certificate = CertificateChoiceField(
        label=_("Certificate"),
        queryset=Certificate.objects.none(),
        help_text=_("The certificate covering the product complained about."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ComplaintKind.choices, widget=forms.RadioSelect)
    received_on = date_field(_("Received on"), _("The day the complaint or failure report reached you."), today=True)
    source = forms.CharField(
        label=_("From"), max_length=200, help_text=_("The customer, distributor or user who reported it.")
    )
    description = _text(
        _("Description"),
        _("What went wrong, with part numbers, date codes and quantities. It is reviewed at the next audit."),
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = _certificates(principal)


# --- process change notifications (SV-05) --------------------------------------------------------------------


class PCNSubmitForm(forms.Form):
    certificate = CertificateChoiceField(
        label=_("Certificate"),
        queryset=Certificate.objects.none(),
        help_text=_("The certificate the change may affect. Notify one PCN per certificate."),
    )
    title = forms.CharField(
        label=_("Change"),
        max_length=200,
        help_text=_(
            "In a few words, for example 'New reflow furnace on line 3' or 'Second source for the dielectric'."
        ),
    )
    description = _text(
        _("Description"),
        _(
            "What changes (process, material, site, equipment, supplier or design), where, why, and what you did "
            "to verify that the product still conforms."
        ),
        rows=6,
    )
    planned_on = date_field(
        _("Planned for"), _("The day the change takes effect in production. Notify before it, not after.")
    )

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["certificate"].queryset = _certificates(principal)


class PCNDocumentForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("What the document is, for example 'Qualification report of the new furnace'."),
    )
    file = forms.FileField(label=_("Document"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request, so that it is said in the user's language.
        self.fields["file"].help_text = _(
            "PDF, PNG or JPEG, up to %(mb)d MB. The type is checked from the content, not from the name."
        ) % {"mb": settings.IECQ_EVIDENCE_MAX_BYTES // 2**20}


class PCNClassifyForm(forms.Form):
    impact = forms.ChoiceField(
        label=_("Impact on certified status"),
        widget=forms.RadioSelect,
        help_text=_("The certificate follows the classification at once, in the same decision."),
    )
    reason = _text(_("Reason"), _("Why this classification; it is kept in the PCN's history."), rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["impact"].choices = [
            (impact.value, f"{impact.label} — {PCN_IMPACT_EFFECTS[impact]}") for impact in PCNImpact
        ]


class PCNCloseForm(forms.Form):
    reason = _text(_("Conclusion"), _("The outcome of the assessment; it is kept in the PCN's history."), rows=3)
    reinstate = forms.BooleanField(
        label=_("Reinstate the certificate"),
        required=False,
        help_text=_(
            "This PCN suspended the certificate. Tick to reinstate it now; leave empty to keep it suspended "
            "(a suspension has a maximum length, after which withdrawal is proposed)."
        ),
    )

    def __init__(self, *args: Any, offer_reinstatement: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not offer_reinstatement:
            del self.fields["reinstate"]
