"""Template filters of the portal: ``safe_url`` keeps only http(s) and same-site links."""

from __future__ import annotations

from django import template

from portal.links import safe_link
from portal.timefmt import format_date, format_time

register = template.Library()


@register.filter
def safe_url(value: object) -> str:
    """The link when it is http(s) or a page of the portal; empty otherwise (never javascript:)."""
    return safe_link(value)


@register.filter
def bjt(value: object, style: str = "minutes") -> str:
    """A time in Beijing time, ISO order: ``{{ t|bjt }}`` 2026-12-01 07:30, ``{{ t|bjt:"seconds" }}``,
    ``"short"`` (12-01 07:30), ``"clock"`` (07:30), ``"label"`` (with "(Beijing time)")."""
    if value in (None, ""):
        return ""
    if style == "label":
        return format_time(value, label=True)  # type: ignore[arg-type]
    return format_time(value, style=style)  # type: ignore[arg-type]


@register.filter
def bjdate(value: object, style: str = "day") -> str:
    """A date in ISO order: ``{{ d|bjdate }}`` 2026-12-01 (the Beijing date of an instant);
    ``{{ d|bjdate:"month" }}`` 2026-12."""
    if value in (None, ""):
        return ""
    return format_date(value, style=style)  # type: ignore[arg-type]
