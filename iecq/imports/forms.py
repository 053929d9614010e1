from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ImportKind


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=ImportKind.choices, initial=ImportKind.CERTIFICATES
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV in UTF-8 with a header line, or JSON (a list of objects). Download a template below."),
    )
