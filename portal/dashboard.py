"""Dashboard panels: what is waiting for a person, by the roles they hold.

Each app registers panel functions for roles in its ``AppConfig.ready()``; the
dashboard shows the panels of every role the person holds in the selected
bureau. A panel function returns None when it has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .tenancy import Actor

if TYPE_CHECKING:
    import datetime as dt


@dataclass
class PanelItem:
    label: str
    url: str = ""
    meta: str = ""
    level: str = ""  # "", "warning", "danger": overdue work is flagged
    switch_to: str = ""  # a bureau code: ``url`` opens only in that bureau (portal/_switch_link.html)
    # a deadline: the item shows a live countdown to it, then how long it is overdue
    # (static/portal/countdown.js); ``meta`` is the text shown without script
    deadline: dt.datetime | None = None


@dataclass
class Panel:
    key: str
    title: str
    count: int | None = None
    items: list[PanelItem] = field(default_factory=list)
    url: str = ""
    empty_text: str = ""
    # a template drawn above the items (a chart); it reads ``context`` as ``data``
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)


PanelFunc = Callable[[Actor], Panel | None]
_REGISTRY: dict[str, list[PanelFunc]] = {}
SYSTEM_ADMIN = "system_admin"
EVERYONE = "*"


def register(*roles: str) -> Callable[[PanelFunc], PanelFunc]:
    def decorator(func: PanelFunc) -> PanelFunc:
        for role in roles:
            if func not in _REGISTRY.setdefault(role, []):
                _REGISTRY[role].append(func)
        return func

    return decorator


def panels_for(actor: Actor) -> list[Panel]:
    keys = [EVERYONE, *sorted(actor.roles)]
    if actor.is_system_admin:
        keys.insert(1, SYSTEM_ADMIN)
    seen: set[PanelFunc] = set()
    panels: list[Panel] = []
    for key in keys:
        for func in _REGISTRY.get(key, []):
            if func in seen:
                continue
            seen.add(func)
            panel = func(actor)
            if panel is not None:
                panels.append(panel)
    return panels
