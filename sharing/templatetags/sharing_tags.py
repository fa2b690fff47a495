"""Template filters of the data-sharing pages: a dataset's words in the reader's language,
the colour of its level."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

if TYPE_CHECKING:
    from sharing.models import Dataset

register = template.Library()

LEVEL_CSS = {"open": "text-bg-success", "on_request": "text-bg-warning", "not_shared": "text-bg-secondary"}


@register.filter
def title_in(dataset: Dataset, language: str | None) -> str:
    return dataset.title(language)


@register.filter
def description_in(dataset: Dataset, language: str | None) -> str:
    return dataset.description(language)


@register.filter
def level_css(level: str) -> str:
    return LEVEL_CSS.get(level, "text-bg-light")


@register.filter
def bureau_name(bureau: object, language: str | None) -> str:
    display = getattr(bureau, "display_name", None)
    return display(language) if callable(display) else str(bureau)
