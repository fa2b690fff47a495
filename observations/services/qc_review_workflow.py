"""The QC review workflow: a person of the discipline judges a day the machine checked.

    auto ──review──▶ reviewed ──correct──▶ reviewed

``review`` and ``correct`` are an expert's of the channel's discipline or the bureau admin's,
in the day's bureau (``permissions.can_review_qc_day``; same bureau without the role is 403).
Another bureau's day is 404: the lock reads ``editable_by``. A correction is a new review; the
earlier one stays in the history. Who is told is the service's (``qc_review``): one message
for a whole batch rather than one per day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy, pgettext_lazy

from observations import permissions
from observations.models import QcDay
from portal.exceptions import NotFound
from portal.workflow import Transition, Workflow, by_the_system, register, row_lock

if TYPE_CHECKING:
    from portal.tenancy import Actor

Status = QcDay.Status


_system_lock = row_lock(QcDay, "bureau", "channel__discipline")


def _lock(actor: Actor | None, qc_day: QcDay | int) -> QcDay:
    pk = getattr(qc_day, "pk", qc_day)
    if actor is None:  # the system's re-check holds the id from its own run
        return _system_lock(None, qc_day)
    # a person's review reads tenancy here: another bureau's day is 404
    locked = (
        QcDay.objects.editable_by(actor)
        .select_for_update(of=("self",))
        .select_related("bureau", "channel__discipline", "channel__station", "channel__item")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


WORKFLOW = register(
    Workflow(
        name="qc_day",
        model=QcDay,
        noun=gettext_lazy("QC day"),
        state_field="status",
        lock=_lock,
        url=lambda day: reverse("observations:qc-day", args=[day.pk]),
        transitions={
            "review": Transition(
                frozenset({Status.AUTO}),
                Status.REVIEWED,
                permissions.can_review_qc_day,
                pgettext_lazy("qc review", "reviewed"),
                gettext_lazy("Save the review"),
            ),
            "correct": Transition(
                frozenset({Status.REVIEWED}),
                Status.REVIEWED,
                permissions.can_review_qc_day,
                gettext_lazy("review corrected"),
                gettext_lazy("Correct the review"),
            ),
            # the machine's one move: back to "auto" when a re-check changed the day's flags
            # (services.qc_run); the review it superseded stays in the history
            "recheck": Transition(
                frozenset({Status.REVIEWED}),
                Status.AUTO,
                by_the_system,
                gettext_lazy("re-checked after its samples changed"),
            ),
        },
    )
)


def action_for(qc_day: QcDay) -> str:
    """``review`` for a day the machine alone checked, ``correct`` for one a person judged."""
    return "review" if qc_day.status == Status.AUTO else "correct"


def can_review(actor: Actor | None, qc_day: QcDay) -> bool:
    return bool(WORKFLOW.allowed_actions(actor, qc_day))
