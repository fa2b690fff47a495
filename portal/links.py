"""Links people enter (meeting material, cited anomalies): http and https only.

A link is put into ``href``; a ``javascript:`` or ``data:`` URL there runs in the portal's
origin when clicked. Services check links on input (:func:`check_link`, a 400 naming the
field) and templates pass every stored link through the ``safe_url`` filter
(``portal_tags``), so rows stored before the check never become a live ``href``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .exceptions import InvalidInput

SCHEMES = ("http", "https")


def is_safe_link(url: object) -> bool:
    """True for an absolute http(s) URL with a host, or a path of the portal itself (``/...``)."""
    if not isinstance(url, str) or not url:
        return False
    # Browsers drop tabs and newlines inside URLs ("java\tscript:") and read "\" as "/".
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 or c == "\\" for c in url):
        return False
    if url.startswith("/"):
        return not url.startswith("//")  # "//host" is another site, with the page's scheme
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.netloc)


def check_link(url: str, *, field: str) -> str:
    """The link without surrounding blanks; InvalidInput unless :func:`is_safe_link`."""
    url = (url or "").strip()
    if url and not is_safe_link(url):
        raise InvalidInput(
            _("A link must start with http:// or https:// (or be a page of the portal, /...)."), field=field
        )
    return url


def safe_link(url: object) -> str:
    """``url`` when it is safe to put into ``href``, else the empty string."""
    return url if isinstance(url, str) and is_safe_link(url) else ""
