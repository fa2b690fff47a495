"""A person's review of the days quality control flagged (质控人工复核).

``qc_review`` judges one day, or several days of one channel at once (a week of rain is one
judgement), with one verdict:

* ``fault``: a confirmed instrument fault. A comment is required (what is wrong: the bureau
  admin is told, and someone must visit the instrument). No cause: the causes are of
  interference.
* ``interference``: a real disturbance of the observation. The cause, one of
  :class:`InterferenceFactor` (the list the anomaly verification uses), and a comment (what
  was seen: "pumping at the well 09:00-11:00") are required.
* ``ok``: the data are good. No cause; the comment is optional.

A comment is required for the two verdicts that take data out of the methods: whoever reads
the QC archive later must learn why. Optionally the person marks a span the machine did not
flag (``start``/``end``, both or neither, end after start, within the days reviewed and one
day either side: a Beijing-time day overlaps two UTC days): it becomes a ``marked`` flag with
the verdict, split over the days reviewed.

Each day moves through the workflow (``auto → reviewed``, or ``reviewed → reviewed`` for a
correction): permission (403) before state, one audit row per day. Under the lock the
review is written (``QcReview``), the day's machine flags take the verdict and cause, and a
correction removes the spans the earlier review marked (its ``QcReview`` keeps them, as
history). A fault tells the bureau's admins once for the whole batch.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from observations import review_selectors, selectors
from observations.models import InterferenceFactor, QcDay, QcFlag, QcReview, QcVerdict
from portal.exceptions import InvalidInput, NotFound
from portal.models import Notification
from portal.timefmt import format_date
from portal.workflow import Handoff, tell, transition

from .qc_review_workflow import WORKFLOW, action_for

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.tenancy import Actor

COMMENT_MAX = 2000
ONE_DAY = dt.timedelta(days=1)


def _verdict(verdict: Any) -> str:
    if not isinstance(verdict, str) or verdict not in QcVerdict.values:
        raise InvalidInput(
            _("verdict is one of: %(choices)s.") % {"choices": ", ".join(QcVerdict.values)}, field="verdict"
        )
    return verdict


def _cause(verdict: str, cause: Any) -> str:
    cause = cause.strip() if isinstance(cause, str) else cause
    if cause in (None, ""):
        if verdict == QcVerdict.INTERFERENCE:
            raise InvalidInput(_("Say what caused the interference."), field="cause")
        return ""
    if verdict != QcVerdict.INTERFERENCE:
        raise InvalidInput(_("A cause is given only for interference."), field="cause")
    if not isinstance(cause, str) or cause not in InterferenceFactor.values:
        raise InvalidInput(
            _("cause is one of: %(choices)s.") % {"choices": ", ".join(InterferenceFactor.values)},
            field="cause",
        )
    return cause


def _comment(verdict: str, comment: Any) -> str:
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or "\x00" in comment or len(comment) > COMMENT_MAX:
        raise InvalidInput(
            _("The comment is text of at most %(n)d characters.") % {"n": COMMENT_MAX}, field="comment"
        )
    text = comment.strip()
    if not text and verdict != QcVerdict.OK:
        raise InvalidInput(
            _("Say what you saw: a comment is required for a fault or an interference."), field="comment"
        )
    return text


def _aware(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInput(_("%(field)s is a date and time.") % {"field": field}, field=field)
    if timezone.is_naive(value):  # a time without a zone is Beijing time, as the forms read it
        value = timezone.make_aware(value)
    return value.astimezone(dt.UTC)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def span_pieces(
    days: list[QcDay], start: dt.datetime, end: dt.datetime
) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """The marked span ``[start, end)`` split over ``days`` (one channel's, in day order): each
    day takes the part within its UTC day, the first also the day before it and the last the
    day after. A span outside, or over a day not among ``days``, is a 400."""
    windows = []
    for index, day in enumerate(days):
        low = _midnight(day.day) - (ONE_DAY if index == 0 else dt.timedelta(0))
        high = _midnight(day.day) + ONE_DAY + (ONE_DAY if index == len(days) - 1 else dt.timedelta(0))
        windows.append((day, low, high))
    if start < windows[0][1] or end > windows[-1][2]:
        raise InvalidInput(
            _("The marked span must lie within the days reviewed, at most one day before or after."),
            field="start" if start < windows[0][1] else "end",
        )
    pieces: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    covered = dt.timedelta(0)
    for day, low, high in windows:
        piece_start, piece_end = max(start, low), min(end, high)
        if piece_end > piece_start:
            pieces[day.pk] = (piece_start, piece_end)
            covered += piece_end - piece_start
    if covered != end - start:
        raise InvalidInput(
            _("The marked span covers a day that is not among the days reviewed; review that day too."),
            field="days",
        )
    return pieces


def _days(actor: Actor, qc_day: QcDay, days: Iterable[Any]) -> list[QcDay]:
    """``qc_day`` and the other ``days`` (ids) of its channel, in day order, as the actor reads them."""
    ids = [qc_day.pk]
    for value in days:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidInput(_("days is a list of QC day ids."), field="days")
        if value not in ids:
            ids.append(value)
    if len(ids) > review_selectors.BATCH_MAX:
        raise InvalidInput(
            _("At most %(n)d days are reviewed at once.") % {"n": review_selectors.BATCH_MAX}, field="days"
        )
    rows = review_selectors.qc_days_get_many(actor=actor, ids=ids)
    if len(rows) != len(ids):
        raise NotFound()
    if any(row.channel_id != qc_day.channel_id for row in rows):
        raise InvalidInput(_("The days of one review are all of one channel."), field="days")
    return rows


@transaction.atomic
def qc_review(
    *,
    actor: Actor,
    qc_day: QcDay,
    verdict: Any,
    cause: Any = "",
    comment: Any = "",
    start: Any = None,
    end: Any = None,
    days: Iterable[Any] = (),
) -> list[QcDay]:
    """Judge ``qc_day`` (and the other ``days`` of its channel) with one verdict; return the
    days reviewed, in day order, as saved. 404 for a day the actor does not read, 403 without
    the role, 400 for bad input (nothing is written then)."""
    # the right before the input: a person who may not review learns nothing from a 400
    WORKFLOW.check_permission(actor, qc_day, action_for(qc_day))
    verdict = _verdict(verdict)
    cause = _cause(verdict, cause)
    comment = _comment(verdict, comment)
    if (start is None) != (end is None):
        raise InvalidInput(
            _("Give both ends of the marked span, or neither."), field="end" if end is None else "start"
        )
    rows = _days(actor, qc_day, days)
    pieces: dict[int, tuple[dt.datetime, dt.datetime]] = {}
    if start is not None:
        start, end = _aware(start, "start"), _aware(end, "end")
        if end <= start:
            raise InvalidInput(_("The marked span ends after it starts."), field="end")
        pieces = span_pieces(rows, start, end)

    reviewed: list[QcDay] = []
    for row in rows:  # in day order: two batches of one channel lock in the same order
        locked = WORKFLOW.lock(actor, row)
        action = action_for(locked)
        written: dict[str, int] = {}

        def prepare(day: QcDay, action: str = action, written: dict[str, int] = written) -> dict[str, Any]:
            piece = pieces.get(day.pk)
            if action == "correct":  # the earlier review's marked spans give way to this one's
                QcFlag.objects.filter(qc_day=day, kind=QcFlag.Kind.MARKED).delete()
            review = QcReview.objects.create(
                bureau_id=day.bureau_id,
                qc_day=day,
                verdict=verdict,
                cause=cause,
                comment=comment,
                start=piece[0] if piece else None,
                end=piece[1] if piece else None,
                reviewed_by=actor.user,
                reviewed_at=timezone.now(),
            )
            QcFlag.objects.filter(qc_day=day).exclude(kind=QcFlag.Kind.MARKED).update(
                verdict=verdict, cause=cause
            )
            if piece:
                QcFlag.objects.create(
                    bureau_id=day.bureau_id,
                    channel_id=day.channel_id,
                    qc_day=day,
                    kind=QcFlag.Kind.MARKED,
                    start=piece[0],
                    end=piece[1],
                    verdict=verdict,
                    cause=cause,
                    detail={"review": review.pk},
                )
            written["review"] = review.pk
            return {}

        def extra(day: QcDay, written: dict[str, int] = written) -> dict[str, Any]:
            return {
                "verdict": verdict,
                "cause": cause,
                "review": written["review"],
                "batch": [r.pk for r in rows] if len(rows) > 1 else [],
            }

        reviewed.append(
            transition(locked, action, actor, comment, workflow=WORKFLOW, prepare=prepare, extra=extra)
        )
    if verdict == QcVerdict.FAULT:
        _tell_admins_of_fault(actor, reviewed, comment)
    return reviewed


def _tell_admins_of_fault(actor: Actor, days: list[QcDay], comment: str) -> None:
    """The bureau admin sends someone to the instrument: one message for the batch."""
    first, last = days[0], days[-1]
    channel = first.channel
    admins = [u for u in selectors.bureau_admins(bureau=first.bureau_id) if u.pk != actor.user.pk]
    when = format_date(first.day) + (f" – {format_date(last.day)}" if last.pk != first.pk else "")
    title = _("Instrument fault confirmed: %(channel)s, %(days)s (UTC)") % {
        "channel": str(channel),
        "days": when,
    }
    body = _("%(person)s: %(comment)s") % {"person": actor.user.label, "comment": comment}
    tell(
        WORKFLOW,
        first,
        [Handoff(admins, title=title, body=body, level=Notification.Level.WARNING, kind="qc_fault")],
    )
