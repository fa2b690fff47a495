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
  report was built (reports); consultations enqueues ``consultations.attach_topic_report``,
  subscriptions ``subscriptions.match_topic_report``, sharing
  ``sharing.announce_topic_report`` (the bureaus its topic reports are pushed to).

* ``meeting.closed(meeting_id: int, bureau_id: int)``: a consultation meeting closed
  (consultations); trends enqueues ``trends.meeting_closed``, which recompiles the meeting
  and opinion sections of the bureau's draft trend report of the meeting's month.

* ``quick_report.received(message_id: int, event_id: int, bureau_id: int)``: a quick-report
  SMS was parsed into an event, or a failed one corrected (catalog.services.quick_reports;
  not for the same text again); flows enqueues ``flows.trigger`` (kind ``quick_report``).

* ``series.written(bureau_id: int, spans: dict[int, tuple[str, str]])``: new samples of the
  bureau's channels were stored (observations.services.series_store), ``spans`` the written
  span of each channel, ``{channel_id: (start, end)}`` in ISO 8601 UTC, end exclusive. Fired
  once per bureau per transaction: an import of many days and channels is one hook with
  each channel's whole span. Flows enqueues one ``flows.trigger`` (kind ``series``) per channel;
  sharing ``sharing.announce_series`` (the bureaus the station's or item's series are pushed to).

* ``anomaly.moved(anomaly_id: int, bureau_id: int, state: str, action: str,
  discipline: str, product_reference: str)``: an anomaly was reported (``action`` "report")
  or moved by its workflow (disciplines.services.anomaly_workflow: every move passes through
  the workflow's ``live`` callback); flows enqueues ``flows.trigger`` (kind ``anomaly``),
  subscriptions ``subscriptions.match_anomaly`` for a report, a verification submitted and an
  assessment (the subscribers of the discipline's anomalies who may read it).

A quake's arrival is not a hook: ``catalog.arrival`` decides it and enqueues the
reactions the apps registered there (``catalog.arrival.register_reaction``); flows hears of
every concerned bureau through ``catalog.arrival.register_listener`` and takes the
special-topic report over for a bureau whose enabled flow makes it
(``catalog.arrival.register_replacement``); subscriptions hears of every fresh arrival once,
whether it concerns a bureau or none, through ``catalog.arrival.register_arrival_listener``.
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
