"""Sections a higher app adds to a lower app's page (the anomaly page's "danger zones" box).

The page's template calls ``{% related_sections obj %}`` (``templatetags/related.py``); each
app registers, from ``AppConfig.ready()``, a function ``(request, obj) -> Section | None``
for the model label (``"disciplines.anomaly"``). The lower app imports none of them: imports
run one way. The function reads through the app's selectors with ``request.actor``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db import models
    from django.http import HttpRequest


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


SectionFunc = Callable[["HttpRequest", Any], "Section | None"]
_REGISTRY: dict[str, list[SectionFunc]] = {}


def register(model_label: str, func: SectionFunc) -> SectionFunc:
    """Add a section to the pages of ``model_label`` (idempotent: ``ready()`` may run twice)."""
    funcs = _REGISTRY.setdefault(model_label.lower(), [])
    if func not in funcs:
        funcs.append(func)
    return func


def sections_for(request: HttpRequest, obj: models.Model) -> list[Section]:
    found = []
    for func in _REGISTRY.get(obj._meta.label_lower, []):
        section = func(request, obj)
        if section is not None:
            found.append(section)
    return found
