from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Manufacturer, Site


class ManufacturerForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Manufacturer
        fields = ["name", "legal_name", "country", "website", "email"]

    def validate_unique(self):
        """Uniqueness is the service's decision (it also sees rows this user cannot)."""


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "city", "country"]

    def validate_unique(self):
        """Uniqueness is the service's decision."""


class ContactForm(forms.Form):
    """A contact person (MF-05)."""

    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("Full name of the person."))
    function = forms.CharField(
        label=_("Function"), max_length=200, required=False, help_text=_("For example: quality manager.")
    )
    email = forms.EmailField(label=_("Email"), help_text=_("One contact per email address."))
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, help_text=_("With the international prefix.")
    )
    is_primary = forms.BooleanField(
        label=_("Primary contact"),
        required=False,
        help_text=_("The certification bodies' first point of contact; replaces the current primary contact."),
    )
