"""Background jobs end: one registry of job kinds, one guard for their tasks, one watchdog.

A job is a row with a status that a Celery task moves on (a catalog import, a
product run, a special-topic report build, a push). Two things can leave such a
row "running" for ever, with nobody told:

* the task raises something its service did not expect (a reader bug, a
  database refusal): :func:`run_guarded` catches it, logs the traceback and ends
  the job failed with a message the person can act on;
* the worker dies (OOM, hard time limit, a redeploy) and nothing runs any more
  code for it: :func:`watchdog` (the ``portal.jobs_watchdog`` beat job, every
  two minutes) asks every kind for the jobs no worker can still be on and has
  the kind fail them (or requeue them once), telling the person who started it.

Each app registers its kinds from ``AppConfig.ready()``; the portal core knows no
app (dependencies point down). A kind's ``sweep`` and ``fail`` change a job's state
only through its workflow (``portal.workflow.transition`` or, for a sweep over many
rows, ``transition_each``): every ended job is audited and its person told, never a
raw ``update(status=...)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from django.utils import timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Added to a task's hard time limit before its job counts as abandoned: the worker
#: needs a moment to write the outcome after the limit, and beat runs every 2 minutes.
MARGIN = timedelta(minutes=2)
WATCHDOG_EVERY_SECONDS = 120.0


@dataclass(frozen=True)
class JobKind:
    """How the watchdog and the task guard handle one kind of job.

    ``sweep(now)`` finds the jobs of this kind no worker can still be on (past the
    task's time limit + ``MARGIN``, or queued with a lost message), fails or requeues
    each in its own transaction, tells the person, and returns the ids it touched.
    ``fail(pk, message)`` ends one job failed with ``message`` and tells the person;
    it leaves a job that is already final alone.
    """

    name: str
    sweep: Callable[[datetime], list[int]]
    fail: Callable[[int, str], object]


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Add a job kind (idempotent by name: ``ready()`` may run twice in tests)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> list[JobKind]:
    return list(_KINDS.values())


def kind(name: str) -> JobKind:
    return _KINDS[name]


def internal_error_message(exc: BaseException) -> str:
    """What a person reads when a job died of an error nobody foresaw (details are in the log)."""
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(exc, SoftTimeLimitExceeded):
        return _("The job took longer than its time limit and was stopped.")
    return _("Internal error (%(kind)s); the administrators can find the details in the log.") % {
        "kind": type(exc).__name__
    }


def run_guarded(
    name: str, pk: int, call: Callable[[], T], *, reraise: Iterable[type[BaseException]] = ()
) -> T | None:
    """Run a task's service; any exception it did not handle ends job ``pk`` failed.

    The traceback goes to the log; the person reads a short message. Exceptions
    in ``reraise`` (transient errors the task retries) and Celery's own retry signal
    propagate. The task then returns None instead of raising: a job's failure is
    recorded on its row, not in the broker.
    """
    from celery.exceptions import Retry

    passthrough = (Retry, *reraise)
    try:
        return call()
    except passthrough:
        raise
    except Exception as exc:  # the job must end whatever went wrong; BaseException (exit) is not caught
        logger.exception("job %s #%s failed", name, pk)
        try:
            _KINDS[name].fail(pk, internal_error_message(exc))
        except Exception:  # the row stays as it is: the watchdog fails it later
            logger.exception("could not record the failure of job %s #%s", name, pk)
        return None


def watchdog(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Fail or requeue the jobs of every kind whose worker is gone. Returns ids per kind.

    One kind's error does not stop the others (it is logged, and the next round tries again).
    """
    now = now or timezone.now()
    touched: dict[str, list[int]] = {}
    for job_kind in kinds():
        try:
            ids = job_kind.sweep(now)
        except Exception:  # one broken kind must not blind the watchdog to the others
            logger.exception("job watchdog: sweeping %s failed", job_kind.name)
            continue
        if ids:
            logger.warning("job watchdog: %s ended or requeued %s", job_kind.name, ids)
            touched[job_kind.name] = ids
    return touched
