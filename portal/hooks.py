"""Hooks for the few announcements that must travel *up* the app layers.

An app calls an app above it with a plain import. Only where a lower app must tell
a higher one does it ``fire(name, ...)`` a hook, which the higher app subscribes to
with ``@hook(name)`` in its ``AppConfig.ready()``. Callbacks run after the
surrounding transaction commits, each isolated: one failing callback is logged and
does not stop the others or undo the change that fired it. A callback only enqueues
a Celery task with ids (``task.delay(...)``), so the work retries on its own and the
request that fired stays fast.

Known hooks:

* ``topic_report.ready(report_id: int, event_id: int, bureau_id: int)``: a special-topic
  report was built (reports); consultations enqueues ``consultations.attach_topic_report``.

* ``meeting.closed(meeting_id: int, bureau_id: int)``: a consultation meeting closed
  (consultations); trends enqueues ``trends.meeting_closed``, which recompiles the meeting
  and opinion sections of the bureau's draft trend report of the meeting's month.

A quake's arrival is not a hook: ``catalog.arrival`` decides it and enqueues the
reactions the apps registered there (``catalog.arrival.register_reaction``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from collections.abc import Callable

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
