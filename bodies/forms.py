from django import forms

from .models import CertificationBody


class CertificationBodyForm(forms.ModelForm):
    class Meta:
        model = CertificationBody
        fields = ["name", "legal_name", "country", "website", "email"]

    def validate_unique(self):
        """Uniqueness is the service's decision (it also sees rows this user cannot)."""
