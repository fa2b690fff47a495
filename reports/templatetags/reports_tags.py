"""Template filters of the reports pages."""

from __future__ import annotations

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def population(value: int | None) -> str:
    """People count as a reader expects it: "116.4万" in Chinese, "1,164,268" in English."""
    if not value:
        return "—"
    if (translation.get_language() or "").startswith("zh") and value >= 10_000:
        return f"{value / 10_000:.1f}万"
    return f"{value:,}"
