"""What is waiting for me: work in a state where this person may act next, with a link.

Each app registers a function in its ``AppConfig.ready()`` (the portal core imports no app);
the bell's page and the dashboard list what they return together, oldest first. A function
answers for the actor's current bureau and returns an empty list when nothing waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from .tenancy import Actor


@dataclass(frozen=True)
class WaitingItem:
    label: str  # what it is ("2026年12月月会商报告")
    url: str  # the page where the work is done
    what: str  # what to do, in words ("to review", "to verify by 12-03 18:00")
    since: datetime | None = None  # when it started waiting (oldest first)
    level: str = ""  # "", "warning", "danger": overdue work is flagged
    kind: str = ""  # "consultation_report", "anomaly"


WaitingFunc = Callable[[Actor], Iterable[WaitingItem]]
_REGISTRY: list[WaitingFunc] = []


def register(func: WaitingFunc) -> WaitingFunc:
    """Add an app's selector (idempotent: ``ready()`` may run twice in tests)."""
    if func not in _REGISTRY:
        _REGISTRY.append(func)
    return func


def waiting_for(actor: Actor | None, *, limit: int = 50) -> list[WaitingItem]:
    """Everything waiting for ``actor`` across the apps, oldest first."""
    if actor is None or actor.bureau is None:
        return []
    items = [item for func in _REGISTRY for item in func(actor)]
    far = datetime.max.replace(tzinfo=UTC)
    items.sort(key=lambda item: (item.since or far, item.label))
    return items[:limit]
