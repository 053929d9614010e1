"""Portal pages of the bodies app: certification bodies and their oversight, auditors, laboratories and reference
data. Views stay thin: reads go through the visibility rule, writes through the services, and whether a link is
shown is asked of the service's own permission check."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from django_countries.fields import Country

from iecq.errors import DomainError, NotFound
from iecq.portal.views import PrincipalMixin, ScopedDetailView, ScopedListView, ServiceFormView, TransitionView
from iecq.principals import Principal
from iecq.roles import Role
from iecq.selectors import get_visible, visible

from . import forms, selectors, services
from .assignment import assignment_problems
from .choices import REQUIREMENT_TABLE, CBAssessmentState, CertificationBodyState, RequirementCategory
from .choices import VerificationMethod as Method
from .filters import (
    AuditorFilter,
    CBAssessmentFilter,
    CertificationBodyFilter,
    LaboratoryFilter,
    SuspensionRequestFilter,
)
from .models import (
    Accreditation,
    AccreditationBody,
    Auditor,
    AuditorCompetence,
    AuditorTraining,
    CBAssessment,
    CBSuspensionRequest,
    CertificationBody,
    Equipment,
    IndependenceDeclaration,
    LabAction,
    OversightFinding,
    ProficiencyResult,
    ProficiencyRound,
    Scheme,
    SupervisoryBody,
    Technology,
    TestLaboratory,
)
from .services.common import is_cb_manager, require_cb_manager_or_operator
from .services.laboratories import _require_lab_manager
from .services.oversight import _supervisor_of


def _allowed(check: Callable[[], object]) -> bool:
    """Whether a service's own permission check lets the principal act; a link is shown only then."""
    try:
        check()
    except DomainError:
        return False
    return True


def _manages_cb(principal: Principal, cb_id: int | None) -> bool:
    return _allowed(lambda: require_cb_manager_or_operator(principal, cb_id))


def _supervises(principal: Principal, cb: CertificationBody) -> bool:
    """The principal is the active supervisory body of the CB's country."""
    return _allowed(lambda: _supervisor_of(principal, cb))


def _manages_lab(principal: Principal, lab: TestLaboratory) -> bool:
    return _allowed(lambda: _require_lab_manager(principal, lab))


def _sees_cb_records(principal: Principal, cb: CertificationBody) -> bool:
    """Whether to show the CB's own records (accreditations, auditors, oversight): they are declared
    Tenancy(cb=…, country=…), so only the CB, its country's supervisory body and the operator see them; a client
    or the public would find the sections empty, which would wrongly read as "none"."""
    return (
        principal.is_operator
        or (principal.is_cb and principal.certification_body_id == cb.pk)
        or (principal.is_supervisor and principal.country == cb.country.code)
    )


def _with_query(url: str, **params: object) -> str:
    params = {k: v for k, v in params.items() if v is not None}
    return f"{url}?{urlencode(params)}" if params else url


class RecordFormView(ServiceFormView):
    """A form about one record, named by `pk` in the URL and of `model`: visible to the principal, or 404."""

    detail_url_name: ClassVar[str]
    title_pattern: ClassVar[str] = ""  # with %(record)s

    @cached_property
    def record(self):
        try:
            return get_visible(self.model, self.principal, self.kwargs["pk"])
        except NotFound:
            raise Http404 from None

    def get_form_kwargs(self) -> dict[str, Any]:
        self.record  # noqa: B018 -- 404 before the form is built or validated
        return super().get_form_kwargs()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.title = self.title_pattern % {"record": self.record}
        return super().get_context_data(**kwargs)

    def get_success_url(self) -> str:
        return reverse(self.detail_url_name, args=[self.record.pk])


# --- certification bodies --------------------------------------------------------------------------


class CertificationBodyListView(ScopedListView):
    model = CertificationBody
    filterset_class = CertificationBodyFilter
    title = _("Certification bodies")
    columns = [("name", _("Name")), ("country", _("Country")), ("state", _("State"))]
    sortable = ("name", "country", "state")
    detail_url_name = "bodies:cb-detail"
    create_url_name = "bodies:cb-create"

    def can_create(self) -> bool:
        return self.principal.is_operator


class CertificationBodyDetailView(ScopedDetailView):
    template_name = "bodies/cb_detail.html"
    model = CertificationBody
    fields = [
        ("legal_name", _("Legal entity")),
        ("country", _("Country")),
        ("website", _("Website")),
        ("email", _("Contact email")),
        ("state", _("State")),
        ("approved_on", _("First approved on")),
        ("approval_valid_until", _("Approval valid until")),
        ("next_surveillance_due", _("Next annual surveillance due")),
        ("created_at", _("Registered")),
    ]
    transition_url_name = "bodies:cb-transition"
    edit_url_name = "bodies:cb-edit"

    def can_edit(self, obj: CertificationBody) -> bool:
        p = self.principal
        return p.is_operator or (p.is_cb and p.certification_body_id == obj.pk and p.has_role(Role.CB_ADMIN))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        cb: CertificationBody = ctx["object"]
        p = self.principal
        ctx.update(technologies=cb.technologies.all(), schemes=cb.schemes.all(), internal=_sees_cb_records(p, cb))
        ctx["scope_url"] = reverse("bodies:cb-scope", args=[cb.pk]) if p.is_operator else None
        if not ctx["internal"]:
            return ctx
        if cb.state in (CertificationBodyState.UNDER_ASSESSMENT, CertificationBodyState.SUSPENDED):
            ctx["blockers"] = cb.approval_blockers()
        ctx["accreditations"] = (
            visible(Accreditation, p).filter(certification_body=cb).select_related("accreditation_body")
        )
        latest = cb.requirement_status()
        ctx["requirements"] = [
            {
                "category": category,
                "label": RequirementCategory(category).label,
                "criteria": criteria,
                "methods": [Method(m).label for m in methods],
                "latest": latest[category],
            }
            for category, (criteria, methods) in REQUIREMENT_TABLE.items()
        ]
        ctx["auditors"] = selectors.auditor_list(principal=p).filter(certification_body=cb)
        ctx["laboratories"] = visible(TestLaboratory, p).filter(owner=cb)
        ctx["assessments"] = visible(CBAssessment, p).filter(certification_body=cb)
        ctx["findings"] = visible(OversightFinding, p).filter(certification_body=cb).select_related("assessment")
        ctx["suspension_requests"] = (
            visible(CBSuspensionRequest, p).filter(certification_body=cb).select_related("supervisory_body")
        )
        manages = _manages_cb(p, cb.pk)
        supervises = _supervises(p, cb)
        preset = cb.pk if p.is_operator else None
        ctx["links"] = {
            "accreditation": reverse("bodies:accreditation-create", args=[cb.pk]) if manages else None,
            "requirement": reverse("bodies:requirement-create", args=[cb.pk]) if p.is_operator else None,
            "assessment": reverse("bodies:assessment-create", args=[cb.pk]) if p.is_operator else None,
            "finding": reverse("bodies:finding-create", args=[cb.pk]) if p.is_operator or supervises else None,
            "suspension_request": (
                reverse("bodies:suspension-request-create", args=[cb.pk])
                if supervises and cb.state == CertificationBodyState.APPROVED
                else None
            ),
            # The operator acts for any CB: the form comes with this one chosen.
            "auditor": _with_query(reverse("bodies:auditor-create"), certification_body=preset) if manages else None,
            "laboratory": _with_query(reverse("bodies:lab-create"), owner=preset) if manages else None,
        }
        return ctx


class CertificationBodyTransitionView(TransitionView):
    model = CertificationBody
    services = services.CB_TRANSITION_SERVICES
    detail_url_name = "bodies:cb-detail"


class CertificationBodyCreateView(ServiceFormView):
    model = CertificationBody
    form_class = forms.CertificationBodyForm
    title = _("Register a certification body")
    success_message = _("The certification body is registered as applied.")

    def call_service(self, data):
        return services.certification_body_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:cb-detail", args=[self.object.pk])


class CertificationBodyEditView(RecordFormView):
    model = CertificationBody
    form_class = forms.CertificationBodyForm
    title_pattern = _("Edit %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("Saved.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record}

    def call_service(self, data):
        return services.certification_body_update(actor=self.principal, pk=self.record.pk, **data)


class CertificationBodyScopeView(RecordFormView):
    model = CertificationBody
    form_class = forms.CertificationBodyScopeForm
    title_pattern = _("Scope of %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("The scope is saved.")

    def get_initial(self) -> dict[str, Any]:
        return {"technologies": self.record.technologies.all(), "schemes": self.record.schemes.all()}

    def call_service(self, data):
        return services.certification_body_update(actor=self.principal, pk=self.record.pk, **data)


class AccreditationCreateView(RecordFormView):
    model = CertificationBody
    form_class = forms.AccreditationForm
    title_pattern = _("Record an accreditation of %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("The accreditation is recorded.")

    def call_service(self, data):
        return services.accreditation_record(actor=self.principal, certification_body=self.record.pk, **data)


class RequirementAssessmentCreateView(RecordFormView):
    model = CertificationBody
    form_class = forms.RequirementAssessmentForm
    title_pattern = _("Assess a requirement category of %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("The assessment is recorded.")

    def get_initial(self) -> dict[str, Any]:
        category = self.request.GET.get("category", "")
        return {"category": category} if category in RequirementCategory.values else {}

    def call_service(self, data):
        return services.requirement_assessment_record(actor=self.principal, certification_body=self.record.pk, **data)


class CBAssessmentPlanView(RecordFormView):
    model = CertificationBody
    form_class = forms.CBAssessmentPlanForm
    title_pattern = _("Plan an assessment of %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("The assessment is planned.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "certification_body": self.record}

    def call_service(self, data):
        return services.cb_assessment_plan(actor=self.principal, certification_body=self.record.pk, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:assessment-detail", args=[self.object.pk])


class OversightFindingCreateView(RecordFormView):
    model = CertificationBody
    form_class = forms.OversightFindingForm
    title_pattern = _("Record a finding about %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("The finding is recorded.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "certification_body": self.record}

    def call_service(self, data):
        return services.finding_record(actor=self.principal, certification_body=self.record.pk, **data)


class SuspensionRequestCreateView(RecordFormView):
    model = CertificationBody
    form_class = forms.SuspensionRequestForm
    title_pattern = _("Ask the operator to suspend %(record)s")
    detail_url_name = "bodies:cb-detail"
    success_message = _("The request is sent to the operator.")

    def call_service(self, data):
        return services.suspension_request_create(actor=self.principal, certification_body=self.record.pk, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:suspension-request-detail", args=[self.object.pk])


# --- CB assessments and suspension requests -----------------------------------------------------------


class CBAssessmentListView(LoginRequiredMixin, ScopedListView):
    model = CBAssessment
    filterset_class = CBAssessmentFilter
    title = _("CB assessments")
    select_related = ("certification_body",)
    columns = [
        ("kind", _("Kind")),
        ("certification_body.name", _("Certification body")),
        ("planned_on", _("Planned on")),
        ("lead_assessor", _("Lead assessor")),
        ("state", _("State")),
    ]
    sortable = ("planned_on", "state")
    detail_url_name = "bodies:assessment-detail"


class CBAssessmentDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "bodies/assessment_detail.html"
    model = CBAssessment
    fields = [
        ("certification_body", _("Certification body")),
        ("kind", _("Kind")),
        ("planned_on", _("Planned on")),
        ("completed_on", _("Completed on")),
        ("lead_assessor", _("Lead assessor")),
        ("witnessed_manufacturer", _("Witnessed at (manufacturer)")),
        ("state", _("State")),
    ]
    transition_url_name = "bodies:assessment-transition"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        assessment: CBAssessment = ctx["object"]
        participants = list(visible(SupervisoryBody, self.principal).filter(assessments=assessment))
        ctx["participants"] = participants
        ctx["findings"] = visible(OversightFinding, self.principal).filter(assessment=assessment)
        ctx["may_join"] = (
            assessment.state == CBAssessmentState.PLANNED
            and _supervises(self.principal, assessment.certification_body)
            and not any(body.country.code == self.principal.country for body in participants)
        )
        return ctx


class CBAssessmentJoinView(PrincipalMixin, LoginRequiredMixin, View):
    """The supervisory body of the CB's country takes part in a planned assessment (POST only)."""

    http_method_names = ["post"]
    model = CBAssessment

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_visible(CBAssessment, self.principal, pk)  # 404 before anything else
        try:
            services.cb_assessment_join(actor=self.principal, pk=pk)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            messages.error(request, "; ".join(str(m) for msgs in exc.errors.values() for m in msgs) or exc.detail)
        else:
            messages.success(request, gettext_now("Your supervisory body takes part in this assessment."))
        return redirect("bodies:assessment-detail", pk=pk)


class CBAssessmentTransitionView(TransitionView):
    model = CBAssessment
    services = services.ASSESSMENT_TRANSITION_SERVICES
    detail_url_name = "bodies:assessment-detail"


class SuspensionRequestListView(LoginRequiredMixin, ScopedListView):
    model = CBSuspensionRequest
    filterset_class = SuspensionRequestFilter
    title = _("CB suspension requests")
    select_related = ("certification_body", "supervisory_body")
    columns = [
        ("certification_body.name", _("Certification body")),
        ("supervisory_body.name", _("Requested by")),
        ("created_at", _("Requested at")),
        ("state", _("State")),
    ]
    sortable = ("created_at", "state")
    detail_url_name = "bodies:suspension-request-detail"


class SuspensionRequestDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "bodies/suspension_request_detail.html"
    model = CBSuspensionRequest
    fields = [
        ("certification_body", _("Certification body")),
        ("supervisory_body", _("Requested by")),
        ("reason", _("Reason")),
        ("created_at", _("Requested at")),
        ("state", _("State")),
    ]
    transition_url_name = "bodies:suspension-request-transition"


class SuspensionRequestTransitionView(TransitionView):
    model = CBSuspensionRequest
    services = services.SUSPENSION_REQUEST_TRANSITION_SERVICES
    detail_url_name = "bodies:suspension-request-detail"


# --- auditors (CB-03, CB-04) ------------------------------------------------------------------------------


class AuditorListView(LoginRequiredMixin, ScopedListView):
    model = Auditor
    filterset_class = AuditorFilter
    title = _("Auditors")
    select_related = ("certification_body",)
    columns = [
        ("name", _("Name")),
        ("certification_body.name", _("Certification body")),
        ("qualified_until", _("Qualified until")),
        ("audits_performed", _("Audits performed")),
    ]
    sortable = ("name", "qualified_until", "audits_performed")
    detail_url_name = "bodies:auditor-detail"
    create_url_name = "bodies:auditor-create"

    def can_create(self) -> bool:
        return _manages_cb(self.principal, self.principal.certification_body_id)


class AuditorDetailView(LoginRequiredMixin, ScopedDetailView):
    """An auditor's record and the assignment check; the check is a POST that changes nothing (htmx or not)."""

    template_name = "bodies/auditor_detail.html"
    model = Auditor
    fields = [
        ("certification_body", _("Certification body")),
        ("email", _("Email")),
        ("qualified_until", _("Qualified until")),
    ]
    edit_url_name = "bodies:auditor-edit"

    def can_edit(self, obj: Auditor) -> bool:
        return _manages_cb(self.principal, obj.certification_body_id)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        auditor: Auditor = ctx["object"]
        p = self.principal
        manages = ctx["edit_url"] is not None
        signs_own = p.is_cb and auditor.user_id is not None and auditor.user_id == p.user_id
        ctx.update(
            trainings=visible(AuditorTraining, p).filter(auditor=auditor),
            competences=visible(AuditorCompetence, p).filter(auditor=auditor).select_related("technology"),
            declarations=visible(IndependenceDeclaration, p)
            .filter(auditor=auditor)
            .prefetch_related("conflicted_manufacturers"),
            training_url=reverse("bodies:training-create", args=[auditor.pk]) if manages else None,
            competence_url=reverse("bodies:competence-create", args=[auditor.pk]) if manages else None,
            declaration_url=(
                reverse("bodies:declaration-create", args=[auditor.pk])
                if signs_own or is_cb_manager(p, auditor.certification_body_id)
                else None
            ),
        )
        ctx.setdefault("check_form", forms.AssignmentCheckForm(principal=p))
        return ctx

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        auditor = self.get_object()
        form = forms.AssignmentCheckForm(request.POST, principal=self.principal)
        problems = None
        if form.is_valid():
            problems = assignment_problems(
                auditor,
                certification_body_id=auditor.certification_body_id,
                manufacturer_id=form.cleaned_data["manufacturer"].pk,
                technology=form.cleaned_data["technology"],
                on=form.cleaned_data["on"],
            )
        context = {"check_form": form, "problems": problems}
        if request.htmx:
            response = render(request, "bodies/_assignment_result.html", {**context, "object": auditor})
        else:
            response = self.render_to_response(self.get_context_data(**context))
        patch_vary_headers(response, ("HX-Request",))
        return response


class AuditorCreateView(ServiceFormView):
    model = Auditor
    form_class = forms.AuditorForm
    title = _("Register an auditor")
    success_message = _("The auditor is registered.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal}

    def get_initial(self) -> dict[str, Any]:
        return {"certification_body": self.request.GET.get("certification_body")}

    def call_service(self, data):
        return services.auditor_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:auditor-detail", args=[self.object.pk])


class AuditorEditView(RecordFormView):
    model = Auditor
    form_class = forms.AuditorForm
    title_pattern = _("Edit %(record)s")
    detail_url_name = "bodies:auditor-detail"
    success_message = _("Saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "editing": True}

    def get_initial(self) -> dict[str, Any]:
        return {name: getattr(self.record, name) for name in services.auditors.AUDITOR_FIELDS}

    def call_service(self, data):
        return services.auditor_update(actor=self.principal, pk=self.record.pk, **data)


class TrainingCreateView(RecordFormView):
    model = Auditor
    form_class = forms.TrainingForm
    title_pattern = _("Add a training record for %(record)s")
    detail_url_name = "bodies:auditor-detail"
    success_message = _("The training is recorded.")

    def call_service(self, data):
        return services.training_record(actor=self.principal, auditor=self.record.pk, **data)


class CompetenceGrantView(RecordFormView):
    model = Auditor
    form_class = forms.CompetenceForm
    title_pattern = _("Grant a competence to %(record)s")
    detail_url_name = "bodies:auditor-detail"
    success_message = _("The competence is granted.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "technologies": self.record.certification_body.technologies.all()}

    def call_service(self, data):
        return services.competence_grant(actor=self.principal, auditor=self.record.pk, **data)


class DeclarationCreateView(RecordFormView):
    model = Auditor
    form_class = forms.DeclarationForm
    title_pattern = _("Declaration of interests of %(record)s")
    detail_url_name = "bodies:auditor-detail"
    success_message = _("The declaration is recorded.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal}

    def call_service(self, data):
        return services.declaration_sign(
            actor=self.principal,
            auditor=self.record.pk,
            signed_on=data["signed_on"],
            interests=data["interests"],
            no_conflicts=data["no_conflicts"],
            conflicted_manufacturers=[m.pk for m in data["conflicted_manufacturers"]],
        )


# --- laboratories (CB-05, CB-10) --------------------------------------------------------------------------


class LaboratoryListView(LoginRequiredMixin, ScopedListView):
    model = TestLaboratory
    filterset_class = LaboratoryFilter
    title = _("Test laboratories")
    select_related = ("owner",)
    columns = [
        ("name", _("Name")),
        ("country", _("Country")),
        ("owner.name", _("Owning certification body")),
        ("accreditation_reference", _("Accreditation (ISO/IEC 17025)")),
    ]
    sortable = ("name", "country")
    detail_url_name = "bodies:lab-detail"
    create_url_name = "bodies:lab-create"

    def can_create(self) -> bool:
        return _manages_cb(self.principal, self.principal.certification_body_id)


class LaboratoryDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "bodies/lab_detail.html"
    model = TestLaboratory
    fields = [
        ("country", _("Country")),
        ("owner", _("Owning certification body")),
        ("accreditation_reference", _("Accreditation (ISO/IEC 17025)")),
        ("created_at", _("Registered")),
    ]
    edit_url_name = "bodies:lab-edit"

    def can_edit(self, obj: TestLaboratory) -> bool:
        return _manages_lab(self.principal, obj)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        lab: TestLaboratory = ctx["object"]
        p = self.principal
        manages = ctx["edit_url"] is not None
        ctx.update(
            manages=manages,
            equipment=visible(Equipment, p).filter(laboratory=lab),
            results=visible(ProficiencyResult, p).filter(laboratory=lab).select_related("round", "action"),
            equipment_url=reverse("bodies:equipment-create", args=[lab.pk]) if manages else None,
            result_url=reverse("bodies:proficiency-create", args=[lab.pk]) if manages else None,
        )
        return ctx


class LaboratoryCreateView(ServiceFormView):
    model = TestLaboratory
    form_class = forms.LaboratoryForm
    title = _("Register a test laboratory")
    success_message = _("The laboratory is registered.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal}

    def get_initial(self) -> dict[str, Any]:
        return {"owner": self.request.GET.get("owner")}

    def call_service(self, data):
        return services.laboratory_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:lab-detail", args=[self.object.pk])


class LaboratoryEditView(RecordFormView):
    model = TestLaboratory
    form_class = forms.LaboratoryForm
    title_pattern = _("Edit %(record)s")
    detail_url_name = "bodies:lab-detail"
    success_message = _("Saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "principal": self.principal, "editing": True}

    def get_initial(self) -> dict[str, Any]:
        return {name: getattr(self.record, name) for name in ("name", "accreditation_reference", "is_active")}

    def call_service(self, data):
        return services.laboratory_update(actor=self.principal, pk=self.record.pk, **data)


class EquipmentCreateView(RecordFormView):
    model = TestLaboratory
    form_class = forms.EquipmentForm
    title_pattern = _("Add equipment to %(record)s")
    detail_url_name = "bodies:lab-detail"
    success_message = _("The equipment is added.")

    def call_service(self, data):
        return services.equipment_create(actor=self.principal, laboratory=self.record.pk, **data)


class CalibrationCreateView(RecordFormView):
    model = Equipment
    form_class = forms.CalibrationForm
    title_pattern = _("Record a calibration of %(record)s")
    success_message = _("The calibration is recorded.")

    def call_service(self, data):
        return services.calibration_record(actor=self.principal, equipment=self.record.pk, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:lab-detail", args=[self.record.laboratory_id])


class ProficiencyResultCreateView(RecordFormView):
    model = TestLaboratory
    form_class = forms.ProficiencyResultForm
    title_pattern = _("Record a proficiency-testing result of %(record)s")
    detail_url_name = "bodies:lab-detail"
    success_message = _("The result is recorded.")

    def call_service(self, data):
        return services.proficiency_result_record(actor=self.principal, laboratory=self.record.pk, **data)


class LabActionDetailView(LoginRequiredMixin, ScopedDetailView):
    template_name = "bodies/lab_action_detail.html"
    model = LabAction
    fields = [
        ("result", _("Proficiency result")),
        ("description", _("Action")),
        ("due_on", _("Due on")),
        ("state", _("State")),
        ("closed_on", _("Closed on")),
    ]
    transition_url_name = "bodies:lab-action-transition"


class LabActionTransitionView(TransitionView):
    model = LabAction
    services = services.LAB_ACTION_TRANSITION_SERVICES
    detail_url_name = "bodies:lab-action-detail"


# --- reference data (maintained by the operator, read by everybody signed in) ----------------------------


class ReferenceDataView(PrincipalMixin, LoginRequiredMixin, TemplateView):
    template_name = "bodies/reference.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(title=_("Reference data"), **kwargs)


class ReferenceListView(LoginRequiredMixin, ScopedListView):
    """A list of public reference data; only the operator gets the edit links."""

    def get_queryset(self):
        qs = self.model._default_manager.all()
        return qs.select_related(*self.select_related) if self.select_related else qs

    def can_create(self) -> bool:
        return self.principal.is_operator

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        if not self.principal.is_operator:
            ctx["detail_url_name"] = None
        return ctx


class ReferenceEditView(ServiceFormView):
    """Edit one reference record (public data: a missing pk is a plain 404)."""

    @cached_property
    def record(self):
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def get_initial(self) -> dict[str, Any]:
        initial = {name: getattr(self.record, name) for name in self.form_class.base_fields}
        return {k: v.code if isinstance(v, Country) else v for k, v in initial.items()}

    def get_form_kwargs(self) -> dict[str, Any]:
        self.record  # noqa: B018 -- 404 before the form is built or validated
        return super().get_form_kwargs()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        self.title = _("Edit %(record)s") % {"record": self.record}
        return super().get_context_data(**kwargs)


class TechnologyListView(ReferenceListView):
    model = Technology
    title = _("Component technologies")
    columns = [("name", _("Name")), ("code", _("Code")), ("description", _("Description"))]
    sortable = ("name", "code")
    detail_url_name = "bodies:technology-edit"
    create_url_name = "bodies:technology-create"


class TechnologyCreateView(ServiceFormView):
    model = Technology
    form_class = forms.TechnologyForm
    title = _("Add a component technology")
    success_message = _("The technology is added.")

    def call_service(self, data):
        return services.technology_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:technology-list")


class TechnologyEditView(ReferenceEditView):
    model = Technology
    form_class = forms.TechnologyForm
    success_message = _("Saved.")

    def call_service(self, data):
        return services.technology_update(actor=self.principal, pk=self.record.pk, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:technology-list")


class SchemeListView(ReferenceListView):
    model = Scheme
    title = _("IECQ schemes")
    columns = [
        ("name", _("Name")),
        ("code", _("Code")),
        ("document_reference", _("Document reference")),
        ("edition", _("Edition")),
    ]
    sortable = ("name", "code")
    detail_url_name = "bodies:scheme-edit"
    create_url_name = "bodies:scheme-create"


class SchemeCreateView(ServiceFormView):
    model = Scheme
    form_class = forms.SchemeForm
    title = _("Add an IECQ scheme")
    success_message = _("The scheme is added.")

    def call_service(self, data):
        return services.scheme_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:scheme-list")


class SchemeEditView(ReferenceEditView):
    model = Scheme
    form_class = forms.SchemeForm
    success_message = _("Saved.")

    def call_service(self, data):
        return services.scheme_update(actor=self.principal, pk=self.record.pk, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:scheme-list")


class AccreditationBodyListView(ReferenceListView):
    model = AccreditationBody
    title = _("Accreditation bodies")
    columns = [
        ("acronym", _("Acronym")),
        ("name", _("Name")),
        ("country", _("Country")),
        ("iaf_mla_signatory", _("IAF MLA signatory")),
        ("iaf_mla_product_certification", _("MLA covers product certification")),
        ("iaf_mla_until", _("Signatory until")),
    ]
    sortable = ("acronym", "name", "country")
    detail_url_name = "bodies:accreditation-body-edit"
    create_url_name = "bodies:accreditation-body-create"


class AccreditationBodyCreateView(ServiceFormView):
    model = AccreditationBody
    form_class = forms.AccreditationBodyForm
    title = _("Add an accreditation body")
    success_message = _("The accreditation body is added.")

    def call_service(self, data):
        return services.accreditation_body_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:accreditation-body-list")


class AccreditationBodyEditView(ReferenceEditView):
    model = AccreditationBody
    form_class = forms.AccreditationBodyForm
    success_message = _("Saved.")

    def call_service(self, data):
        return services.accreditation_body_update(actor=self.principal, pk=self.record.pk, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:accreditation-body-list")


class ProficiencyRoundListView(ReferenceListView):
    model = ProficiencyRound
    title = _("Proficiency-testing rounds")
    select_related = ("technology",)
    columns = [
        ("code", _("Round")),
        ("title", _("Title")),
        ("provider", _("Provider")),
        ("technology.name", _("Technology")),
        ("held_on", _("Held on")),
    ]
    sortable = ("code", "held_on")
    create_url_name = "bodies:proficiency-round-create"


class ProficiencyRoundCreateView(ServiceFormView):
    model = ProficiencyRound
    form_class = forms.ProficiencyRoundForm
    title = _("Announce a proficiency-testing round")
    success_message = _("The round is added.")

    def call_service(self, data):
        return services.proficiency_round_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:proficiency-round-list")


class SupervisoryBodyListView(ReferenceListView):
    model = SupervisoryBody
    title = _("Supervisory bodies")
    columns = [("name", _("Name")), ("country", _("Country")), ("state", _("State"))]
    sortable = ("name", "country", "state")
    detail_url_name = "bodies:supervisory-body-detail"
    create_url_name = "bodies:supervisory-body-create"

    def get_queryset(self):
        return visible(SupervisoryBody, self.principal)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["detail_url_name"] = self.detail_url_name  # its page (state and history) is for everybody
        return ctx


class SupervisoryBodyDetailView(LoginRequiredMixin, ScopedDetailView):
    model = SupervisoryBody
    fields = [("country", _("Country")), ("state", _("State")), ("created_at", _("Registered"))]
    transition_url_name = "bodies:supervisory-body-transition"


class SupervisoryBodyCreateView(ServiceFormView):
    model = SupervisoryBody
    form_class = forms.SupervisoryBodyForm
    title = _("Register a supervisory body")
    success_message = _("The supervisory body is registered.")

    def call_service(self, data):
        return services.supervisory_body_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:supervisory-body-detail", args=[self.object.pk])


class SupervisoryBodyTransitionView(TransitionView):
    model = SupervisoryBody
    services = services.SUPERVISORY_BODY_TRANSITION_SERVICES
    detail_url_name = "bodies:supervisory-body-detail"
