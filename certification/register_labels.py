"""The labels of the verification page's content, translated once per language and process, and the values it
prints of a record (`shown`), formatted in Python so that the page can be rendered once per language and status
(`certification.register_cache.anonymous_page`).

`{% translate %}` looks up the active language and walks its catalogue on every render: the fourteen labels
printed on every verification page were half of the time its content took to render (0.25 of 0.47 ms, on the
platform's hottest page, whose first visit to each certificate is rendered from the database). They are the
same for every certificate, so they are translated here once per language; the sentences that depend on the
certificate's status stay `{% translate %}` / `{% blocktranslate %}` in the template (one or two a page).

As with `{% translate "…" %}`, a label is trusted text from the project's own catalogues: it is printed as it
is translated, not escaped again.
"""

from __future__ import annotations

import html

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .choices import CertificateState

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


_status_labels: dict[tuple[str | None, str], str] = {}


def status_label(state: str) -> str:
    """A certificate status's label in the active language, translated once per language and status."""
    key = (get_language(), state)
    label = _status_labels.get(key)
    if label is None:
        label = _status_labels[key] = str(CertificateState(state).label)
    return label


# What the content prints of a record, each as `shown(record)` gives it. The template prints these and nothing else of
# the record but VARIANT, so that `register_cache` can render it once per language and variant with slots instead.
SHOWN = (
    *("number", "status_since", "holder", "certification_body", "scheme", "technologies", "component_types"),
    *("specifications", "sites", "issued_on", "period_start", "expires_on", "revision", "checked_at"),
)
VARIANT = ("status", "status_label", "mark_allowed")  # what chooses the content's sentences and badge


def _escape(value) -> SafeString:
    """Django's `escape` (`SafeString(html.escape(str(value)))`) without its wrapper for lazy strings: a record
    holds none, and on a first visit the wrapper was a third of this function's time."""
    return SafeString(html.escape(str(value)))


def _linebreaksbr(value: str) -> SafeString:
    """The `linebreaksbr` filter on a plain string: line breaks normalised, escaped, then `<br>`."""
    return SafeString(html.escape(value.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "<br>"))


def shown(record: dict) -> dict[str, SafeString]:
    """The record's values as the content prints them: escaped, lists joined, line breaks kept (what the filters
    `join` and `linebreaksbr` made of them in the template; tested byte for byte against the template)."""
    maker, body = record["manufacturer"], record["certification_body"]
    return {
        "number": _escape(record["number"]),
        "status_since": _escape(record["status_since"]),
        "holder": _escape(f"{maker['name']} ({maker['country']})"),
        "certification_body": _escape(f"{body['name']} ({body['country']})"),
        "scheme": _escape(record["scheme"]),
        "technologies": _escape(", ".join(record["technologies"])),
        "component_types": _linebreaksbr(record["component_types"]),
        "specifications": _linebreaksbr(record["specifications"]) or mark_safe("—"),
        "sites": _escape("; ".join(record["sites"])),
        "issued_on": _escape(record["issued_on"]),
        "period_start": _escape(record["period_start"]),
        "expires_on": _escape(record["expires_on"]),
        "revision": _escape(record["revision"]),
        "checked_at": _escape(time_shown(record["checked_at"])),
    }


def time_shown(iso: str) -> str:
    """A UTC time in ISO 8601 ('2026-11-27T03:51:17+00:00') as the page prints it, before ' UTC': '2026-11-27
    03:51:17'. The signed answer keeps the ISO form."""
    return iso[:19].replace("T", " ")


def page_context(record: dict) -> dict:
    """What register/verify.html (and its content, register/verify_record.html) is rendered with."""
    return {"record": record, "title": record["number"], "labels": labels(), "shown": shown(record)}
