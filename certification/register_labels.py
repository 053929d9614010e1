"""The labels of the verification page's content, translated once per language and process.

`{% translate %}` looks up the active language and walks its catalogue on every render: the fourteen labels
printed on every verification page were half of the time its content took to render (0.25 of 0.47 ms, on the
platform's hottest page, whose first visit to each certificate is rendered from the database). They are the
same for every certificate, so they are translated here once per language; the sentences that depend on the
certificate's status stay `{% translate %}` / `{% blocktranslate %}` in the template (one or two a page).

As with `{% translate "…" %}`, a label is trusted text from the project's own catalogues: it is printed as it
is translated, not escaped again.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

LABELS = {
    "holder": _("Holder"),
    "certification_body": _("Certification body"),
    "scheme": _("Scheme"),
    "technologies": _("Technologies"),
    "component_types": _("Component types"),
    "specifications": _("Specifications"),
    "sites": _("Sites"),
    "first_issued": _("First issued"),
    "current_period": _("Current period"),
    "revision": _("Revision"),
    "checked_at": _("Checked at"),
    "signed_answer": _("Signed answer (JSON, Ed25519)"),
    "public_key": _("Public key"),
    "search": _("Search the register"),
}
_translated: dict[str | None, dict[str, SafeString]] = {}


def labels() -> dict[str, SafeString]:
    """LABELS in the active language, as `{% translate %}` would print them."""
    language = get_language()
    found = _translated.get(language)
    if found is None:
        found = _translated[language] = {key: mark_safe(str(text)) for key, text in LABELS.items()}  # noqa: S308
    return found


def page_context(record: dict) -> dict:
    """What register/verify.html (and its content, register/verify_record.html) is rendered with."""
    return {"record": record, "title": record["number"], "labels": labels()}
