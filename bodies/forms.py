from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CertificationBody


class CertificationBodyForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = CertificationBody
        fields = ["name", "legal_name", "country", "website", "email"]

    def validate_unique(self):
        """Uniqueness is the service's decision (it also sees rows this user cannot)."""
