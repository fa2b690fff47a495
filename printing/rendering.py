"""The one renderer every report of the portal uses: a template to phone-friendly HTML
and to PDF (WeasyPrint, Chinese fonts).

Templates extend ``printing/print_base.html``. WeasyPrint only ever fetches our own
static and media files and ``data:`` URIs (see ``url_fetcher``): a report built
from user text can never make the server fetch another address.
"""

from __future__ import annotations

import base64
import io
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

PRINT_FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", sans-serif'


class RenderError(Exception):
    pass


def render_html(template_name: str, context: dict[str, Any], *, for_print: bool = False) -> str:
    """Render a report template; ``for_print`` switches the layout to A4 pages."""
    return render_to_string(template_name, {**context, "for_print": for_print, "print_fonts": PRINT_FONTS})


def _local_file(url: str) -> Path | None:
    for prefix, resolve in ((settings.STATIC_URL, _static_path), (settings.MEDIA_URL, _media_path)):
        if url.startswith(prefix):
            return resolve(url[len(prefix) :])
    return None


def _static_path(relative: str) -> Path | None:
    found = finders.find(relative)
    if found:
        return Path(found)
    candidate = (Path(settings.STATIC_ROOT) / relative).resolve()
    return (
        candidate
        if candidate.is_file() and Path(settings.STATIC_ROOT).resolve() in candidate.parents
        else None
    )


def _media_path(relative: str) -> Path | None:
    root = Path(settings.MEDIA_ROOT).resolve()
    candidate = (root / relative).resolve()
    return candidate if candidate.is_file() and root in candidate.parents else None


BASE_URL = "http://portal.invalid/"  # relative URLs in report templates resolve against this


def _resolve(url: str) -> Path | None:
    """The local file behind one of our /static/ or /media/ URLs; None for anything else."""
    parts = urlsplit(url)
    own = parts.scheme in ("http", "https") and parts.netloc == urlsplit(BASE_URL).netloc
    if own or (not parts.scheme and not parts.netloc):
        return _local_file(parts.path)
    return None


def url_fetcher(url: str) -> tuple[bytes, str]:
    """(content, mime type) of data: URIs and our own static/media files; RenderError otherwise."""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        mime = header[5:].split(";")[0] or "text/plain"
        data = base64.b64decode(payload) if ";base64" in header else unquote_to_bytes(payload)
        return data, mime
    local = _resolve(url)
    if local is None:
        raise RenderError(f"refusing to fetch {url!r} while rendering a report")
    mime, _ = mimetypes.guess_type(str(local))
    return local.read_bytes(), mime or "application/octet-stream"


def _weasyprint_fetcher() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        """WeasyPrint's fetcher narrowed to ``url_fetcher``: no network, no file:// reads."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            data, mime = url_fetcher(url)
            return URLFetcherResponse(url, body=data, headers={"Content-Type": mime})

    return LocalOnlyFetcher()


def render_pdf(template_name: str, context: dict[str, Any], *, language: str | None = None) -> bytes:
    """Render a report template to PDF bytes (A4)."""
    from weasyprint import HTML

    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        html = render_html(template_name, context, for_print=True)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_weasyprint_fetcher()).write_pdf()


def png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure_png(figure: Any, *, dpi: int = 150) -> bytes:
    """A matplotlib figure as PNG bytes (closes the figure)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
