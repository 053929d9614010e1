from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from certification.models import MF_APPLICANTS, Application, Certificate
from iecq.portal.views import ScopedDetailView, ScopedListView, ServiceFormView
from iecq.selectors import visible

from . import selectors, services
from .filters import ManufacturerFilter
from .forms import ContactForm, ManufacturerForm, SiteForm
from .models import Contact, Manufacturer


class ManufacturerListView(ScopedListView):
    model = Manufacturer
    filterset_class = ManufacturerFilter
    title = _("Manufacturers")
    columns = [("name", _("Name")), ("country", _("Country"))]
    sortable = ("name", "country")
    detail_url_name = "manufacturers:manufacturer-detail"
    create_url_name = "manufacturers:manufacturer-create"

    def can_create(self) -> bool:
        return self.principal.is_operator or (
            self.principal.is_cb and self.principal.has_role(*services.CB_REGISTRAR_ROLES)
        )


class ManufacturerDetailView(ScopedDetailView):
    template_name = "manufacturers/manufacturer_detail.html"
    model = Manufacturer
    fields = [
        ("legal_name", _("Legal entity")),
        ("country", _("Country")),
        ("website", _("Website")),
        ("email", _("Contact email")),
    ]
    edit_url_name = "manufacturers:manufacturer-edit"

    def can_edit(self, obj: Manufacturer) -> bool:
        return services._may_edit_manufacturer(self.principal, obj.pk)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        obj = ctx["object"]
        ctx["sites"] = selectors.site_list(principal=self.principal).filter(manufacturer=obj)
        ctx["engagements"] = selectors.engagement_list(principal=self.principal).filter(manufacturer=obj)
        ctx["site_add_url"] = reverse("manufacturers:site-create", args=[obj.pk]) if ctx["edit_url"] else None
        ctx["contacts"] = visible(Contact, self.principal).filter(manufacturer=obj)
        if ctx["edit_url"]:
            ctx["contact_form"] = ContactForm()
            ctx["contact_add_url"] = reverse("manufacturers:contact-create", args=[obj.pk])
        # MF-05: the manufacturer's own records with every CB in one place; others see only their share.
        p = self.principal
        ctx["own_company"] = p.is_manufacturer and p.manufacturer_id == obj.pk
        ctx["applications"] = (
            visible(Application, p).filter(manufacturer=obj).select_related("certification_body", "scheme")
        )
        ctx["certificates"] = (
            visible(Certificate, p).filter(manufacturer=obj).select_related("certification_body", "scheme")
        )
        ctx["apply_url"] = (
            reverse("certification:application-create") if ctx["own_company"] and p.has_role(*MF_APPLICANTS) else None
        )
        return ctx


class ManufacturerCreateView(ServiceFormView):
    model = Manufacturer
    form_class = ManufacturerForm
    title = _("Register a manufacturer")
    success_message = _("The manufacturer is registered.")

    def call_service(self, data):
        return services.manufacturer_create(actor=self.principal, **data)

    def get_success_url(self) -> str:
        return reverse("manufacturers:manufacturer-detail", args=[self.object.pk])


class ManufacturerEditView(ServiceFormView):
    model = Manufacturer
    form_class = ManufacturerForm
    success_message = _("Saved.")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = selectors.manufacturer_get(principal=self.principal, pk=self.kwargs["pk"])
        self.title = _("Edit %(name)s") % {"name": kwargs["instance"].name}
        return kwargs

    def call_service(self, data):
        return services.manufacturer_update(actor=self.principal, pk=self.kwargs["pk"], **data)

    def get_success_url(self) -> str:
        return reverse("manufacturers:manufacturer-detail", args=[self.object.pk])


class SiteCreateView(ServiceFormView):
    model = Manufacturer
    form_class = SiteForm
    success_message = _("The site is added.")

    def get_form_kwargs(self):
        manufacturer = selectors.manufacturer_get(principal=self.principal, pk=self.kwargs["pk"])
        self.title = _("Add a site to %(name)s") % {"name": manufacturer.name}
        return super().get_form_kwargs()

    def call_service(self, data):
        return services.site_create(actor=self.principal, manufacturer=self.kwargs["pk"], **data)

    def get_success_url(self) -> str:
        return reverse("manufacturers:manufacturer-detail", args=[self.kwargs["pk"]])


class ContactCreateView(ServiceFormView):
    model = Manufacturer
    form_class = ContactForm
    success_message = _("The contact is added.")

    def get_form_kwargs(self):
        manufacturer = selectors.manufacturer_get(principal=self.principal, pk=self.kwargs["pk"])
        self.title = _("Add a contact to %(name)s") % {"name": manufacturer.name}
        return super().get_form_kwargs()

    def call_service(self, data):
        return services.contact_create(actor=self.principal, manufacturer=self.kwargs["pk"], **data)

    def get_success_url(self) -> str:
        return reverse("manufacturers:manufacturer-detail", args=[self.kwargs["pk"]])
