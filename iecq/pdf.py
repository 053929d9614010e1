"""WeasyPrint rendering that never reaches the network or the file system beyond the project's static files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
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


def render_pdf(template: str, context: dict) -> bytes:
    """Render a template to PDF bytes with the restricted fetcher."""
    html = render_to_string(
        template,
        {
            **context,
            "font_regular": static_file_url("fonts/DejaVuSans.ttf"),
            "font_bold": static_file_url("fonts/DejaVuSans-Bold.ttf"),
        },
    )
    fetcher = ProjectOnlyFetcher()
    return HTML(string=html, base_url=static_roots()[0].as_uri() + "/", url_fetcher=fetcher).write_pdf()
