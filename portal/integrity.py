"""Integrity checks and the audit chain's daily anchors.

A check kind (``IntegrityKind``) says how to check one thing and report what does not fit:
the portal registers the audit chain (``audit_chain``: walk it, compare with the anchors);
observations registers the stored series (``series``: hash the stored channel-days again
against what was received). A run is an ``IntegrityCheck`` row, a background job
(``portal.jobs``): requested by the system admin on the integrity page ("verify now") and
run by the ``portal.integrity_check`` task, or run at once by ``manage.py audit_verify`` /
``series_verify`` (recorded the same way, so the page shows the last verification however
it ran). Its moves go through the workflow engine (queued → running → done | failed), so
the checks are in the chain too; a check that finds a break tells the system admins.

Anchors: :func:`anchor_days` (the hourly ``portal.audit_anchor`` beat job, and the daily
brief through :func:`anchor_day`) records each complete Beijing day's last record in
``AuditAnchor``; :func:`anchors_export` writes them as the file people keep outside the
database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit_chain, workflow
from . import integrity_selectors as selectors
from .exceptions import InvalidInput, NotFound, PermissionDenied
from .models import AuditAnchor, IntegrityCheck, Notification
from .permissions import can_check_integrity
from .services import audit_record
from .timefmt import BEIJING
from .workflow import Handoff, Workflow, job_fail, job_steps, row_lock, transition, transition_each

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from .models import User
    from .tenancy import Actor

JOB_NAME = "portal.integrity_check"
TIME_LIMIT = 4 * 3600  # the national series take the longest (bench/RESULTS.md)
SOFT_TIME_LIMIT = TIME_LIMIT - 60
PROBLEMS_KEPT = 200
#: A day is anchored this long after it ended: a transaction that took its record's time
#: just before midnight has committed by then.
ANCHOR_MARGIN = dt.timedelta(minutes=10)
CHAIN = "audit_chain"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Outcome:
    """What a check found: ``checked`` items, whether all fit, and the first problems."""

    intact: bool
    checked: int
    summary: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"what", "where", "url"?}
    problem_count: int = 0


@dataclass(frozen=True)
class IntegrityKind:
    name: str
    label: Promise | str
    what: Promise | str  # one sentence: what the check compares
    run: Callable[[Mapping[str, Any], Progress], Outcome]


_KINDS: dict[str, IntegrityKind] = {}


def register(kind: IntegrityKind) -> IntegrityKind:
    """Add a check kind (idempotent by name: ``ready()`` may run twice in tests)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> list[IntegrityKind]:
    return list(_KINDS.values())


def kind_of(name: str) -> IntegrityKind | None:
    return _KINDS.get(name)


# --- anchors ---------------------------------------------------------------------------------


def day_end(day: dt.date) -> dt.datetime:
    """The end of a Beijing day (the next day's 00:00 Beijing time)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)


def anchor_day(*, day: dt.date, now: dt.datetime | None = None) -> AuditAnchor | None:
    """The anchor of ``day`` (Beijing), recorded now if the day is over (plus the margin);
    None for a day not over yet or before the chain's first record."""
    existing = selectors.anchor_on(day=day)
    if existing is not None:
        return existing
    now = now or timezone.now()
    if day_end(day) + ANCHOR_MARGIN > now:
        return None
    head = selectors.chain_head_before(at=day_end(day))
    if head is None:
        return None
    anchor, _created = AuditAnchor.objects.get_or_create(
        day=day, defaults={"seq": head.seq, "hash": head.hash}
    )
    return anchor


def anchor_days(*, now: dt.datetime | None = None) -> list[AuditAnchor]:
    """Anchor every complete day since the last anchor (or the chain's first record)."""
    now = now or timezone.now()
    last = selectors.last_anchor()
    if last is not None:
        day = last.day + dt.timedelta(days=1)
    else:
        first = selectors.chain_first_at()
        if first is None:
            return []
        day = first.astimezone(BEIJING).date()
    made: list[AuditAnchor] = []
    while day_end(day) + ANCHOR_MARGIN <= now:
        anchor = anchor_day(day=day, now=now)
        if anchor is not None:
            made.append(anchor)
        day += dt.timedelta(days=1)
    return made


def anchor_for(*, day: dt.date, now: dt.datetime | None = None) -> AuditAnchor | None:
    """The anchor of ``day`` for the daily brief: every complete day up to now anchored first
    (so the anchors stay one a day with no hole), then ``day``'s."""
    anchor_days(now=now)
    return selectors.anchor_on(day=day)


def database_anchors() -> list[audit_chain.Anchor]:
    source = _("the database")
    return [
        audit_chain.Anchor(day=a.day, seq=a.seq, hash=a.hash, source=source)
        for a in selectors.anchors().iterator()
    ]


def anchors_export(*, since: dt.date | None = None, now: dt.datetime | None = None) -> str:
    """The anchors file (``audit_chain.anchors_document``): every complete day anchored first."""
    now = now or timezone.now()
    anchor_days(now=now)
    head = selectors.chain_head()
    rows = [
        audit_chain.Anchor(day=a.day, seq=a.seq, hash=a.hash, source="")
        for a in selectors.anchors(since=since).iterator()
    ]
    return audit_chain.anchors_document(rows, exported_at=now, head=(head.seq, head.hash))


# --- the audit chain as a check kind ------------------------------------------------------------


def chain_verify(
    *, anchors: Iterable[audit_chain.Anchor] = (), progress: Callable[[audit_chain.Walk], None] | None = None
) -> audit_chain.Walk:
    """Walk the whole chain against the database's anchors and ``anchors`` (from files)."""
    return audit_chain.walk(
        selectors.chain_rows(), anchors=[*database_anchors(), *anchors], progress=progress
    )


def _chain_check(options: Mapping[str, Any], progress: Progress) -> Outcome:
    walked = chain_verify(anchors=options.get("anchors", ()), progress=lambda w: progress(w.checked))
    summary = {
        "last_seq": walked.last_seq,
        "last_hash": walked.last_hash,
        "anchors_checked": walked.anchors_checked,
        "anchor_files": list(options.get("anchor_files", [])),
    }
    problems = []
    if walked.first_break is not None:
        problems.append(
            {
                "what": walked.first_break.message,
                "where": _("record %(seq)d") % {"seq": walked.first_break.seq},
                **walked.first_break.as_dict(),
            }
        )
    return Outcome(
        intact=walked.intact,
        checked=walked.checked,
        summary=summary,
        problems=problems,
        problem_count=len(problems),
    )


def register_chain_check() -> None:
    register(
        IntegrityKind(
            name=CHAIN,
            label=gettext_lazy("Audit chain"),
            what=gettext_lazy(
                "Every audit record's hash is computed again and compared with the record before "
                "it and with the daily anchors."
            ),
            run=_chain_check,
        )
    )


# --- the check as a job ----------------------------------------------------------------------

_S = IntegrityCheck.Status
_lock = row_lock(IntegrityCheck, "requested_by")


def _told(check: IntegrityCheck, actor: Actor | None, comment: str) -> list[Handoff]:
    """Whoever asked hears how it ended; a break (or a failure) reaches every system admin."""
    kind = kind_of(check.kind)
    label = str(kind.label) if kind else check.kind
    people: list[User] = [check.requested_by] if check.requested_by else []
    if check.status == _S.DONE and check.intact:
        title = _("%(check)s: intact (%(count)d checked)") % {"check": label, "count": check.checked}
        level = Notification.Level.INFO
    else:
        people += list(selectors.system_admins())
        if check.status == _S.DONE:
            title = _("%(check)s: %(count)d problems found") % {"check": label, "count": check.problem_count}
        else:
            title = _("%(check)s could not finish") % {"check": label}
        level = Notification.Level.URGENT if check.status == _S.DONE else Notification.Level.WARNING
    body = check.problems[0]["what"] if check.problems else check.error
    return [Handoff(people, title=title[:200], body=body, level=level, kind=JOB_NAME)]


WORKFLOW = workflow.register(
    Workflow(
        name="integrity_check",
        model=IntegrityCheck,
        state_field="status",
        noun=gettext_lazy("integrity check"),
        lock=_lock,
        url=lambda check: f"{reverse('integrity')}?check={check.pk}",
        transitions=job_steps(
            queued=_S.QUEUED,
            running=_S.RUNNING,
            done=_S.DONE,
            failed=_S.FAILED,
            labels=(
                gettext_lazy("check started"),
                gettext_lazy("check finished"),
                gettext_lazy("check failed"),
            ),
            notify=_told,
        ),
    )
)
workflow.register_labels({"integrity_check.request": gettext_lazy("check requested")})


def integrity_check_request(*, actor: Actor | None, kind: str) -> IntegrityCheck:
    """Queue a check of ``kind`` ("verify now"); while one is queued or running, that one."""
    if not can_check_integrity(actor):
        raise PermissionDenied(_("Only a system administrator checks the audit trail and the stored data."))
    if kind_of(kind) is None:
        raise InvalidInput(_("No such check: %(kind)s.") % {"kind": kind}, field="kind")
    already = selectors.integrity_check_open(kind=kind)
    if already is not None:
        return already
    from .tasks import integrity_check_task

    with transaction.atomic():
        check = IntegrityCheck.objects.create(kind=kind, requested_by=actor.user if actor else None)
        audit_record(actor=actor, action="integrity_check.request", target=check, to_state=check.status)
        transaction.on_commit(lambda: integrity_check_task.delay(check_id=check.pk))
    return check


def integrity_check_run(*, check_id: int, options: Mapping[str, Any] | None = None) -> IntegrityCheck | None:
    """QUEUED → RUNNING → DONE (``intact`` says the outcome) | FAILED; idempotent: a check
    that is not queued is left as it is. The walk itself runs outside any transaction."""
    with transaction.atomic():
        try:
            check = _lock(None, check_id)
        except NotFound:
            return None
        if check.status != _S.QUEUED:
            return check
        check = transition(check, "start", None, workflow=WORKFLOW, started_at=timezone.now())
    kind = kind_of(check.kind)
    if kind is None:
        return integrity_check_fail(
            check_id=check.pk, message=_("No such check: %(kind)s.") % {"kind": check.kind}
        )

    def progress(count: int) -> None:  # a figure for the page while it runs, not a state
        IntegrityCheck.objects.filter(pk=check.pk).update(checked=count)

    outcome = kind.run(options or {}, progress)
    with transaction.atomic():
        current = _lock(None, check.pk)
        if current.status != _S.RUNNING:  # the watchdog ended it meanwhile
            return current
        return transition(
            current,
            "finish",
            None,
            workflow=WORKFLOW,
            extra={"intact": outcome.intact, "checked": outcome.checked, "problems": outcome.problem_count},
            finished_at=timezone.now(),
            intact=outcome.intact,
            checked=outcome.checked,
            summary=outcome.summary,
            problems=outcome.problems[:PROBLEMS_KEPT],
            problem_count=outcome.problem_count,
        )


def integrity_check_now(*, kind: str, options: Mapping[str, Any] | None = None) -> IntegrityCheck:
    """Run a check of ``kind`` at once, as the system (the commands), recorded like any other."""
    if kind_of(kind) is None:
        raise InvalidInput(_("No such check: %(kind)s.") % {"kind": kind}, field="kind")
    with transaction.atomic():
        check = IntegrityCheck.objects.create(kind=kind)
        audit_record(actor=None, action="integrity_check.request", target=check, to_state=check.status)
    ran = integrity_check_run(check_id=check.pk, options=options)
    assert ran is not None  # noqa: S101 - created above; nothing deletes checks
    return ran


def integrity_check_fail(*, check_id: int, message: str) -> IntegrityCheck | None:
    """QUEUED/RUNNING → FAILED with ``message`` (the task guard's and the watchdog's last resort)."""
    return job_fail(WORKFLOW, check_id, message, finished_at=timezone.now(), error=message)


def integrity_checks_fail_abandoned(now: dt.datetime) -> list[int]:
    """Fail the checks no worker can still be on (past the time limit, or never taken)."""
    from .jobs import MARGIN

    limit = dt.timedelta(seconds=TIME_LIMIT) + MARGIN
    ids = selectors.integrity_checks_unfinished(started_before=now - limit, queued_before=now - limit)
    message = _("The check stopped: its worker ended without finishing. Start it again.")
    return transition_each(ids, "fail", message, workflow=WORKFLOW, finished_at=now, error=message)
