from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.translation import get_language

from products.forms import shown_rows, shown_value
from products.methods.registry import METHODS
from products.permissions import can_run_products
from products.schedule_words import crontab_words

if TYPE_CHECKING:
    from portal.tenancy import Actor

register = template.Library()


@register.simple_tag
def method_title(name: str) -> str:
    """The method's title in the current language (its code name when unknown)."""
    method = METHODS.get(name)
    if method is None:
        return name
    return method.title_en if (get_language() or "").startswith("en") else method.title_zh


@register.filter
def schedule_words(schedule: object) -> str:
    """A schedule's timing in words in the reader's language (``products.schedule_words``)."""
    return crontab_words(str(getattr(schedule, "crontab_text", schedule)))


@register.filter
def get_item(mapping: dict, key: str):  # type: ignore[no-untyped-def,type-arg]
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def param_rows(values: dict | None) -> list[dict[str, str]]:  # type: ignore[type-arg]
    """Stored parameters as rows with labels in the reader's language and times in Beijing time."""
    return shown_rows(values)


@register.filter
def shown(value: object) -> str:
    """A result value for people: ISO UTC times in Beijing time, "—" for none."""
    return shown_value(value)


@register.filter
def may_run_products(actor: Actor | None) -> bool:
    """The menu asks what the run form asks (``can_run_products``): no link the page refuses."""
    return can_run_products(actor)
