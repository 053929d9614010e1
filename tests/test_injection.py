"""Injection into the certificate and bulletin PDFs, input length caps, CSRF and framing.

The PDF fetcher (iecq/pdf.py ProjectOnlyFetcher) is wrapped to count every fetch WeasyPrint attempts: with
hostile text in every field that reaches a PDF, the only fetches are the vendored fonts and the QR code's
data: URL. A control test feeds the same payload unescaped straight to WeasyPrint, so the counter is seen
to catch file:// and network fetches (and the fetcher to refuse them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from weasyprint import HTML

from certification.choices import SCOPE_TEXT_MAX_LENGTH
from certification.models import Certificate
from certification.services import certificate_transition
from iecq import pdf
from iecq.roles import Role
from iecq.tenancy import scope
from manufacturers.models import Manufacturer, Site

from .factories import SYSTEM

PAYLOAD = (
    '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://127.0.0.1:9/evil.css">'
    '<style>@import url(http://127.0.0.1:9/import.css); body { background: url("file:///etc/shadow") }</style>'
    '<img src="http://127.0.0.1:9/beacon.png"><iframe src="file:///etc/hostname"></iframe>'
    '" } @import url(http://127.0.0.1:9/break-out.css); .x { content: "'
)
HOSTILE_URLS = ("/etc/passwd", "/etc/shadow", "/etc/hostname", "127.0.0.1:9")


@pytest.fixture
def fetches(monkeypatch):
    """Every URL WeasyPrint asked the fetcher for, and the HTML it was given, during the test."""
    seen: dict[str, list[str]] = {"urls": [], "html": []}
    original_fetch = pdf.ProjectOnlyFetcher.fetch

    def counting_fetch(self, url, headers=None):
        seen["urls"].append(url)
        return original_fetch(self, url, headers)

    original_html = pdf.HTML

    def recording_html(*args, **kwargs):
        seen["html"].append(kwargs.get("string", ""))
        return original_html(*args, **kwargs)

    monkeypatch.setattr(pdf.ProjectOnlyFetcher, "fetch", counting_fetch)
    monkeypatch.setattr(pdf, "HTML", recording_html)
    return seen


def only_project_fetches(urls: list[str]) -> list[str]:
    roots = [str(root) for root in pdf.static_roots()]
    return [u for u in urls if not (u.startswith("data:") or (u.startswith("file://") and any(r in u for r in roots)))]


def test_the_fetch_counter_sees_and_the_fetcher_refuses_an_unescaped_payload(fetches):
    fetcher = pdf.ProjectOnlyFetcher()
    HTML(string=f"<html><body>{PAYLOAD}</body></html>", url_fetcher=fetcher).write_pdf()
    assert any("/etc/passwd" in u for u in fetches["urls"])  # the counter works: WeasyPrint did try
    assert any("127.0.0.1:9" in u for u in fetches["urls"])
    assert any("/etc/passwd" in u for u in fetcher.refused) and any("127.0.0.1:9" in u for u in fetcher.refused)


def test_hostile_text_in_certificate_fields_is_printed_not_fetched(world, fetches, reliability):
    reliability.describe(
        "PDF injection",
        "HTML, CSS @import and file:// payloads in every field printed on the certificate and bulletin PDFs; "
        "every fetch WeasyPrint attempts is counted: only the vendored fonts and data: URLs.",
    )
    cert = world.a.records[Certificate]
    with scope(SYSTEM):
        Certificate.objects.filter(pk=cert.pk).update(component_types=PAYLOAD, specifications=PAYLOAD)
        Manufacturer.objects.filter(pk=world.a.manufacturer.pk).update(legal_name=PAYLOAD[:200])
        for site in cert.sites.all():
            Site.objects.filter(pk=site.pk).update(name=PAYLOAD[:200], address=PAYLOAD[:300])
    user, _p = world.a.users[Role.CB_ADMIN]
    client = Client()
    client.force_login(user)
    response = client.get(f"/certification/certificates/{cert.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF")
    html = fetches["html"][-1]
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html  # printed as text
    assert '<img src="file:' not in html and "<style>@import" not in html
    assert fetches["urls"], "the fonts are fetched through the counter"
    assert only_project_fetches(fetches["urls"]) == []
    reliability.add("PDF injection", "PDFs rendered with hostile fields", 1)
    reliability.add("PDF injection", "fetch attempts counted", len(fetches["urls"]))
    reliability.add("PDF injection", "fetches outside the project's static files", 0)


def test_hostile_reason_in_the_bulletin_pdf_is_printed_not_fetched(world, fetches, reliability):
    _u, manager = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    certificate_transition(actor=manager, pk=world.a.records[Certificate].pk, name="suspend", reason=PAYLOAD * 3)
    response = Client().get(f"/bulletin/{timezone.now():%Y-%m}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    html = fetches["html"][-1]
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert '<img src="file:' not in html
    assert only_project_fetches(fetches["urls"]) == []
    reliability.add("PDF injection", "PDFs rendered with hostile fields", 1)
    reliability.add("PDF injection", "fetch attempts counted", len(fetches["urls"]))


def test_text_that_reaches_the_certificate_is_capped_at_input(world, reliability):

    user, _p = world.a.users[Role.MF_QUALITY_MANAGER]
    client = Client()
    client.force_login(user)
    huge = "x" * (SCOPE_TEXT_MAX_LENGTH + 1)
    response = client.post(
        "/certification/applications/new/",
        {"certification_body": world.a.cb.pk, "component_types": huge, "specifications": huge},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count(f"Ensure this value has at most {SCOPE_TEXT_MAX_LENGTH} characters") == 2
    token, _p = world.a.tokens["manufacturer"]
    from .conftest import token_client

    api = token_client(token).post(
        "/api/v1/applications/", {"component_types": huge, "specifications": huge}, format="json"
    )
    assert api.status_code == 400
    fields = {e.get("field") for e in api.json().get("errors", [])}
    assert {"component_types", "specifications"} <= fields, api.json()
    reliability.add("PDF injection", "oversized inputs refused", 2)


# --- CSRF and framing -----------------------------------------------------------------------------------


def portal_posts(world) -> list[str]:
    """Portal forms of several kinds: sign-in, a service form, a transition, the language switch, sign-out."""
    app = world.a.records[Certificate]
    return [
        "/accounts/login/",
        "/certification/applications/new/",
        f"/certification/certificates/{app.pk}/transitions/suspend/",
        "/i18n/setlang/",
        "/accounts/logout/",
        "/settings/api-tokens/",
    ]


def test_portal_posts_without_a_csrf_token_are_refused_and_change_nothing(world, reliability):
    user, _p = world.a.users[Role.CB_CERTIFICATION_MANAGER]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    cert = world.a.records[Certificate]
    refused = 0
    for path in portal_posts(world):
        response = client.post(path, {"reason": "forged", "username": "x", "password": "y", "language": "fr"})
        assert response.status_code == 403, (path, response.status_code)
        assert "did not come from this site" in response.content.decode()
        refused += 1
    with scope(SYSTEM):
        assert Certificate.objects.get(pk=cert.pk).state == cert.state
    assert "_auth_user_id" in client.session  # the forged sign-out did not sign anyone out
    # With the token the form carries, the same client gets through: the refusal above was the missing token.
    page = client.get("/certification/applications/new/")
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else client.cookies["csrftoken"].value
    ok = client.post("/i18n/setlang/", {"language": "fr", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302
    reliability.record("CSRF", "portal POSTs without a token refused", refused)


def test_no_page_may_be_framed(world):
    response = Client().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_static_roots_are_the_only_files_the_fetcher_serves(tmp_path: Path):
    fetcher = pdf.ProjectOnlyFetcher()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    with pytest.raises(ValueError):
        fetcher.fetch(secret.as_uri())
    with pytest.raises(ValueError):
        fetcher.fetch(pdf.static_roots()[0].as_uri() + "/../../../../etc/passwd")
    assert len(fetcher.refused) == 2
