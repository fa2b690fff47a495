"""Template filters of the portal: ``safe_url`` keeps only http(s) and same-site links."""

from __future__ import annotations

from django import template

from portal.links import safe_link

register = template.Library()


@register.filter
def safe_url(value: object) -> str:
    """The link when it is http(s) or a page of the portal; empty otherwise (never javascript:)."""
    return safe_link(value)
