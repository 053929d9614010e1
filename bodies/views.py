from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from iecq.portal.views import ScopedDetailView, ScopedListView, ServiceFormView, TransitionView
from iecq.roles import Role

from . import selectors, services
from .filters import CertificationBodyFilter
from .forms import CertificationBodyForm
from .models import CertificationBody


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
    model = CertificationBody
    fields = [
        ("legal_name", _("Legal entity")),
        ("country", _("Country")),
        ("website", _("Website")),
        ("email", _("Contact email")),
        ("state", _("State")),
        ("created_at", _("Registered")),
    ]
    transition_url_name = "bodies:cb-transition"
    edit_url_name = "bodies:cb-edit"

    def can_edit(self, obj: CertificationBody) -> bool:
        p = self.principal
        return p.is_operator or (p.is_cb and p.certification_body_id == obj.pk and p.has_role(Role.CB_ADMIN))


class CertificationBodyTransitionView(TransitionView):
    model = CertificationBody
    services = services.CB_TRANSITION_SERVICES
    detail_url_name = "bodies:cb-detail"


class CertificationBodyCreateView(ServiceFormView):
    model = CertificationBody
    form_class = CertificationBodyForm
    title = _("Register a certification body")
    success_message = _("The certification body is registered as applied.")

    def call_service(self, data):
        return services.certification_body_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("bodies:cb-detail", args=[self.object.pk])


class CertificationBodyEditView(ServiceFormView):
    model = CertificationBody
    form_class = CertificationBodyForm
    success_message = _("Saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = selectors.certification_body_get(principal=self.principal, pk=self.kwargs["pk"])
        self.title = _("Edit %(name)s") % {"name": kwargs["instance"].name}
        return kwargs

    def call_service(self, data):
        return services.certification_body_update(actor=self.principal, pk=self.kwargs["pk"], **data)

    def get_success_url(self) -> str:
        return reverse("bodies:cb-detail", args=[self.object.pk])
