"""Where an anomaly came from, told by the app that made it: the anomaly page shows what the
registered callbacks say (a recognition rule's detection: the rule, the run, the window).

Disciplines cannot import the apps above it; they register a callback from
``AppConfig.ready()`` (``register(callback)``), called with the anomaly the page already read
through its selector; a callback returns an :class:`Origin` or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from .models import Anomaly


@dataclass(frozen=True)
class Origin:
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (words, url)


_CALLBACKS: list[Callable[[Anomaly], Origin | None]] = []


def register(callback: Callable[[Anomaly], Origin | None]) -> None:
    if callback not in _CALLBACKS:
        _CALLBACKS.append(callback)


def origins(anomaly: Anomaly) -> list[Origin]:
    return [origin for callback in _CALLBACKS if (origin := callback(anomaly)) is not None]
