"""WeasyPrint rendering that never reaches the network or the file system beyond the project's static files."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher


def static_roots() -> list[Path]:
    return [Path(p).resolve() for p in settings.STATICFILES_DIRS]


class ProjectOnlyFetcher(URLFetcher):
    """Serves data: URLs and files under the project's static folders; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=2)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in static_roots()):
                self.refused.append(url)
                raise ValueError(f"refused: {url} is outside the project's static files")
        elif not url.startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"refused: {url}")
        return super().fetch(url, headers)


def static_file_url(relative: str) -> str:
    """A file:// URL of a vendored static file, for templates rendered to PDF."""
    for root in static_roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate.as_uri()
    raise FileNotFoundError(relative)


# Per thread, because Pango and Fontconfig objects are not safe to share between threads. Loading the vendored
# fonts into a fresh Fontconfig configuration (and copying them to a temporary folder) on every render was most
# of a certificate's time; the set of fonts and stylesheets is fixed, so what is kept here does not grow.
_shared = threading.local()


def _font_config() -> FontConfiguration:
    if getattr(_shared, "font_config", None) is None:
        _shared.font_config = FontConfiguration()
        _shared.stylesheets = {}
    return _shared.font_config


def _stylesheet(relative: str) -> CSS:
    """A vendored stylesheet, parsed once per thread (its @font-face rules load into the shared fonts)."""
    font_config = _font_config()
    if relative not in _shared.stylesheets:
        _shared.stylesheets[relative] = CSS(
            url=static_file_url(relative), url_fetcher=ProjectOnlyFetcher(), font_config=font_config
        )
    return _shared.stylesheets[relative]


def render_html(template: str, context: dict) -> str:
    """The HTML a PDF is rendered from (also what a stored PDF is keyed on: it holds everything printed)."""
    return render_to_string(
        template,
        {
            **context,
            "font_regular": static_file_url("fonts/DejaVuSans.ttf"),
            "font_bold": static_file_url("fonts/DejaVuSans-Bold.ttf"),
        },
    )


def html_to_pdf(html: str, *, stylesheet: str | None = None, continued: str | None = None) -> bytes:
    """PDF bytes of an HTML document, with the restricted fetcher and the thread's shared fonts.

    `continued`: a stylesheet added when the document runs over one page (page footers), rendered again with it. A
    one-page document is rendered once and pays nothing for margin boxes it would not need."""
    font_config = _font_config()
    stylesheets = [_stylesheet(stylesheet)] if stylesheet else []
    document = _render(html, stylesheets, font_config)
    if continued and len(document.pages) > 1:
        document = _render(html, [*stylesheets, _stylesheet(continued)], font_config)
    return document.write_pdf()


def _render(html: str, stylesheets: list[CSS], font_config: FontConfiguration):
    source = HTML(string=html, base_url=static_roots()[0].as_uri() + "/", url_fetcher=ProjectOnlyFetcher())
    return source.render(font_config=font_config, stylesheets=stylesheets or None)


def render_pdf(template: str, context: dict, *, stylesheet: str | None = None) -> bytes:
    """Render a template to PDF bytes with the restricted fetcher."""
    return html_to_pdf(render_html(template, context), stylesheet=stylesheet)
