"""Security headers on every response (iecq/security.py): every registered URL, walked as the public, as a
signed-in CB administrator and with an API token, including error pages, PDFs, CSV, JSON and static files.

HTML pages are also scanned for inline code the Content Security Policy would block (a <script> or <style>
without the request's nonce, an on* handler, a style attribute): a template that adds one fails here
rather than silently breaking in the browser.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import path as url_path
from django.utils import timezone

from bodies.models import CertificationBody
from iecq.models import ApiToken
from iecq.roles import Role
from iecq.security import PERMISSIONS_POLICY
from iecq.tenancy import scope
from iecq.transitions import declared_transitions
from manufacturers.models import Engagement, Manufacturer, Site

from .conftest import token_client
from .factories import SYSTEM
from .test_isolation import MISSING_PK, fill, walk

pytestmark = pytest.mark.req("PL-01")

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b(?![^>]*\bnonce=)[^>]*>", re.I)
HANDLER_ATTR = re.compile(r"<[a-z][^>]*\s(on[a-z]+|style)\s*=", re.I)


def header_problems(response, where: str) -> list[str]:
    problems = [
        f"{where}: {name} is {response.get(name)!r}" for name, value in EXPECTED.items() if response.get(name) != value
    ]
    csp = response.get("Content-Security-Policy", "")
    nonce = re.search(r"'nonce-([^']+)'", csp)
    for directive in ("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        if directive not in csp:
            problems.append(f"{where}: CSP lacks {directive!r}: {csp!r}")
    if "unsafe-inline" in csp or "unsafe-eval" in csp or nonce is None:
        problems.append(f"{where}: CSP is not strict: {csp!r}")
    if "text/html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
        body = response.content.decode(errors="replace")
        for pattern, what in ((INLINE_SCRIPT, "inline script"), (INLINE_STYLE, "inline style")):
            if pattern.search(body):
                problems.append(f"{where}: {what} without nonce: {pattern.search(body).group(0)[:80]}")
        if HANDLER_ATTR.search(body):
            problems.append(f"{where}: inline attribute {HANDLER_ATTR.search(body).group(0)[-60:]!r}")
        for used in re.findall(r"\bnonce=\"([^\"]+)\"", body):
            if nonce and used != nonce.group(1):
                problems.append(f"{where}: a nonce in the page is not this response's")
    return problems


def own_object(world, model):
    """Side A's record of the model (so pages answer 200 with real content), or None."""
    a = world.a
    by_model = {CertificationBody: a.cb, Manufacturer: a.manufacturer, **a.records}
    with scope(SYSTEM):
        by_model[Site] = Site.objects.filter(manufacturer=a.manufacturer).first()
        by_model[Engagement] = Engagement.objects.filter(manufacturer=a.manufacturer).first()
        by_model[ApiToken] = ApiToken.objects.filter(organisation=a.cb_org).first()
        if model not in by_model and model is not None:
            manager = getattr(model, "objects_unscoped", model._default_manager)
            return manager.order_by("pk").first()
    return by_model.get(model)


def paths(world) -> list[str]:
    """Every registered URL, filled with side A's records; a route with an id also with a missing one."""
    from certification.models import Certificate

    with scope(SYSTEM):
        number = Certificate.objects.filter(certification_body=world.a.cb).values_list("number", flat=True).first()
    public = {"number": number or "IECQ-NONE", "period": timezone.now().strftime("%Y-%m")}
    out = []
    for route in walk():
        if set(route.params) & set(public):
            out.append(fill(route, public))
            continue
        if not route.params:
            out.append(fill(route, {}))
            continue
        record = own_object(world, route.model)
        names = sorted(declared_transitions(route.model))[:1] if "name" in route.params else [None]
        for name in names or ["none"]:
            if record is not None:
                out.append(fill(route, {"pk": record.pk, "name": name}))
            out.append(fill(route, {"pk": MISSING_PK, "name": name}))
    return out


def test_every_url_carries_the_security_headers_for_every_kind_of_caller(world, reliability):
    admin, _p = world.a.users[Role.CB_ADMIN]
    signed_in = Client()
    signed_in.force_login(admin)
    token, _p = world.a.tokens["cb"]
    callers = [("anonymous", Client()), ("signed-in", signed_in), ("token", token_client(token))]
    problems: list[str] = []
    statuses: dict[int, int] = {}
    kinds: set[str] = set()
    urls = paths(world)
    for path in urls:
        for label, client in callers:
            if label == "token" and not path.startswith("/api/"):
                continue  # the portal ignores API tokens: the anonymous caller already covers that answer
            response = client.get(path)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            kinds.add(response.get("Content-Type", "").split(";")[0])
            problems += header_problems(response, f"{label} GET {path} ({response.status_code})")
    assert len(urls) > 60
    # The walk reached real pages, error pages, PDFs and JSON (CSV too once an export exists): each kind checked.
    assert {200, 404}.issubset(statuses), statuses
    assert {"text/html", "application/json", "application/pdf", "application/problem+json"}.issubset(kinds), kinds
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
    checked = sum(statuses.values())
    reliability.describe(
        "Security headers",
        "Every registered URL fetched as the public, a signed-in CB administrator and (API routes) a token; every "
        "answer must carry the nonce CSP, nosniff, DENY framing, referrer and permissions policies "
        "(iecq/security.py), and no HTML page may hold inline code the CSP would block.",
    )
    reliability.record("Security headers", "URLs walked (public, signed in, API token)", len(urls))
    reliability.record("Security headers", "responses checked", checked)
    reliability.record("Security headers", "status codes seen", ", ".join(str(s) for s in sorted(statuses)))
    reliability.record("Security headers", "content types seen", ", ".join(sorted(k for k in kinds if k)))


def test_error_answers_carry_the_headers_too(world, reliability):
    admin, _p = world.a.users[Role.CB_ADMIN]
    client = Client()
    client.force_login(admin)
    too_many = 2 * settings.DATA_UPLOAD_MAX_NUMBER_FILES
    answers = {
        "404": client.get("/no/such/page/"),
        "405": Client().delete("/accounts/login/"),
        "401 bad token": token_client("iecq_nope_nope").get("/api/v1/certificates/"),
        "403 CSRF": Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"}),
        "400 too many files": Client().post(
            "/accounts/login/",
            {f"{i}": SimpleUploadedFile(f"{i}.pdf", b"%PDF-") for i in range(too_many)},
        ),
    }
    problems = []
    for label, response in answers.items():
        assert str(response.status_code) == label.split()[0], (label, response.status_code)
        problems += header_problems(response, label)
    assert not problems, "\n".join(problems)
    reliability.add("Security headers", "error answers checked", len(answers))


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_served_by_whitenoise_carry_the_headers(reliability):
    at = settings.MIDDLEWARE.index("iecq.security.SecurityHeadersMiddleware") + 1
    middleware = [*settings.MIDDLEWARE[:at], "whitenoise.middleware.WhiteNoiseMiddleware", *settings.MIDDLEWARE[at:]]
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        problems = []
        for path in ("/static/css/portal.css", "/static/vendor/htmx.min.js", "/static/js/portal.js"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.streaming  # really WhiteNoise's file answer, not a Django view
            problems += header_problems(response, path)
    assert not problems, "\n".join(problems)
    reliability.record("Security headers", "static files checked (WhiteNoise)", 3)


def test_production_settings_pass_the_deploy_check_with_hsts_and_secure_cookies(reliability):
    env = {
        "DJANGO_SETTINGS_MODULE": "iecq.settings.production",
        "SECRET_KEY": "a-production-secret-" + "x7Qk2pZ9" * 8,
        "ALLOWED_HOSTS": "iecq.example.org",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/iecq",
        "PATH": "/usr/bin:/bin",
    }
    root = Path(__file__).resolve().parent.parent
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.X_FRAME_OPTIONS, "
        "s.MIDDLEWARE.index('iecq.security.SecurityHeadersMiddleware') < "
        "s.MIDDLEWARE.index('whitenoise.middleware.WhiteNoiseMiddleware'))"
    )
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    assert shown.stdout.split() == ["31536000", "True", "True", "True", "True", "DENY", "True"], shown.stderr
    reliability.record("Security headers", "manage.py check --deploy (production)", "no issues")


def _boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [url_path("boom/", _boom)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_page_carries_the_headers(reliability):
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert header_problems(response, "500") == []
    reliability.add("Security headers", "error answers checked", 1)
