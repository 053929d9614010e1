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
