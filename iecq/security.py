"""Security headers on every response: a nonce-based Content Security Policy, no framing, no sniffing.

The middleware sits right after Django's SecurityMiddleware (and before WhiteNoise in production), so
error pages, PDFs, CSV and JSON exports, API answers and static files all carry the same headers.
Templates put `nonce="{{ request.csp_nonce }}"` on the rare inline <script> or <style> they need; none of
the portal's pages has one today (the language and membership pickers submit through static/js/portal.js,
htmx is told not to inject its indicator styles, see templates/base.html).
"""

from __future__ import annotations

import secrets

from django.conf import settings

# Browser features the platform never uses; a page (or a script injected into one) cannot ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def content_security_policy(nonce: str) -> str:
    """Only our own scripts, styles, fonts and images (plus data: images for QR codes); nothing frames us."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    extra = getattr(settings, "IECQ_CSP_REPORT_URI", None)
    if extra:
        directives["report-uri"] = extra
    return "; ".join(f"{name} {value}" for name, value in directives.items())


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Give each request a fresh CSP nonce and stamp the security headers on whatever answers it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        response["Content-Security-Policy"] = content_security_policy(request.csp_nonce)
        for name, value in SECURITY_HEADERS.items():
            response[name] = value
        return response


def csrf_failure(request, reason: str = ""):
    """The portal's own 403 page for a form sent without its CSRF token (Django's has an inline style)."""
    from django.shortcuts import render
    from django.utils.translation import gettext as _

    message = _("This form has expired or did not come from this site. Go back, reload the page and send it again.")
    return render(request, "portal/error.html", {"status": 403, "message": message}, status=403)
