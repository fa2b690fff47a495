"""Explicit hooks between apps, instead of Django signals.

An app that announces something calls ``fire("event.arrived", ...)`` from its
service; apps that react register a callback in their ``AppConfig.ready()``
with ``@hook("event.arrived")``. Callbacks run after the surrounding
transaction commits, each isolated: one failing callback is logged and does
not stop the others or undo the change that fired it.

Known hooks:

* ``event.arrived(event_id: int, created: bool, source: str)``: the catalog stored
  a new event or a new version of one (source: "quick_report", "import", ...).
* ``topic_report.ready(report_id: int, event_id: int, bureau_id: int)``: a special-topic
  report was built and pushed (consultations attaches it to the emergency meeting).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)
_HOOKS: dict[str, list[Callable[..., Any]]] = {}


def hook(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        callbacks = _HOOKS.setdefault(name, [])
        if func not in callbacks:
            callbacks.append(func)
        return func

    return register


def fire(name: str, **kwargs: Any) -> None:
    """Run the callbacks registered for ``name`` once the current transaction commits."""

    def run() -> None:
        for func in list(_HOOKS.get(name, [])):
            try:
                func(**kwargs)
            except Exception:  # one subscriber's failure must not undo or block the others
                logger.exception("hook %s: %s failed", name, getattr(func, "__qualname__", func))

    transaction.on_commit(run)
