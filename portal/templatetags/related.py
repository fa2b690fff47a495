"""``{% related_sections obj %}``: the sections higher apps add to a page (``portal.related``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from portal.related import sections_for

register = template.Library()


@register.simple_tag(takes_context=True)
def related_sections(context: Any, obj: Any) -> SafeString:
    request = context.get("request")
    if request is None or getattr(request, "actor", None) is None:
        return mark_safe("")
    parts = [
        render_to_string(section.template, {**section.context, "actor": request.actor}, request=request)
        for section in sections_for(request, obj)
    ]
    return mark_safe("".join(parts))  # noqa: S308 - each part is a template rendered with autoescape
