"""The anomaly workflow: the table (``WORKFLOW``), the lock, who is told at each hand-off,
the history labels, and the views of the table the pages and APIs use.

    reported ──assign──▶ verifying (──reassign──▶ verifying) ──submit_verification──▶ verified ──assess──▶ assessed ──track──▶ tracking
       │  ▲                  ▲                                 │  ▲                 │   │                  │
 return_report│resubmit      └──────return_verification────────┘  └─return_assessment┘   └──close──▶ closed ◀┘
       ▼  │
     returned ──withdraw──▶ closed   (reported ──withdraw──▶ closed as well)

Every transition goes through ``portal.workflow.transition``: it locks the row, checks the
person's role and then the state (403 before 409), saves, writes the audit trail (who, when,
from, to, comment), tells whoever must act next and broadcasts the new state on commit. A
refused move raises ``PermissionDenied`` (403) or ``InvalidTransition`` (409) and changes
nothing. The services (``anomalies``, ``verification``, ``assessment``) only add what a move
needs beyond the table: the input's validation against the locked row and the stamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from disciplines import permissions, selectors
from disciplines.models import (
    Anomaly,
)
from portal import hooks
from portal.exceptions import InvalidInput, NotFound
from portal.models import Notification, User
from portal.workflow import Handoff, Transition, Workflow, register, register_labels, tell

from . import live_group

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django_stubs_ext import StrOrPromise

    from portal.tenancy import Actor


State = Anomaly.State


def anomaly_url(anomaly: Anomaly) -> str:
    return reverse("disciplines:anomaly-detail", args=[anomaly.pk])


def _event(anomaly: Anomaly, action: str) -> dict[str, Any]:
    return {
        "kind": "anomaly",
        "action": action,
        "id": anomaly.pk,
        "state": anomaly.state,
        "state_label": str(anomaly.get_state_display()),
        "discipline": anomaly.discipline.code,
        "discipline_name": anomaly.discipline.name_zh,
        "place": anomaly.place,
        "observation_item": anomaly.observation_item,
        "onset_at": anomaly.onset_at.isoformat(),
        "url": anomaly_url(anomaly),
    }


def announce_moved(anomaly: Anomaly, action: str) -> None:
    """Tell the apps above (flows' anomaly triggers), once committed, that the anomaly is in a
    new state: called for the report and, through ``_live``, for every move of ``WORKFLOW``."""
    hooks.fire(
        "anomaly.moved",
        anomaly_id=anomaly.pk,
        bureau_id=anomaly.bureau_id,
        state=str(anomaly.state),
        action=action,
        discipline=anomaly.discipline.code,
        product_reference=anomaly.product_reference,
    )


def _live(anomaly: Anomaly, action: str) -> tuple[str, dict[str, Any]]:
    # portal.workflow.transition calls this after every move: the one place all moves pass.
    announce_moved(anomaly, action)
    return live_group(anomaly.bureau_id), _event(anomaly, action)


def _lock(actor: Actor | None, anomaly: Anomaly | int) -> Anomaly:
    """The anomaly, locked for this transaction; NotFound when it is not the actor's bureau's."""
    pk = getattr(anomaly, "pk", anomaly)
    try:
        return (
            Anomaly.objects.editable_by(actor)
            .select_for_update(of=("self",))
            .select_related("discipline", "bureau", "unit")
            .get(pk=pk)
        )
    except Anomaly.DoesNotExist:
        raise NotFound() from None


def _summary(anomaly: Anomaly) -> str:
    return f"{anomaly.place} · {anomaly.observation_item}"


def _office(anomaly: Anomaly, *, exclude: Iterable[int | None] = ()) -> list[User]:
    skip = set(exclude)
    experts = selectors.discipline_experts(bureau=anomaly.bureau_id, discipline=anomaly.discipline_id)
    return [expert for expert in experts if expert.pk not in skip]


def _to_office(title: StrOrPromise) -> Callable[[Anomaly, Actor | None, str], list[Handoff]]:
    def handoffs(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
        users = _office(anomaly, exclude=[actor.user.pk if actor else None])
        return [Handoff(users, title=str(title), body=_summary(anomaly))]

    return handoffs


def _to_assignee(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
    if anomaly.assignee is None:  # assign and reassign always set one
        return []
    due = timezone.localtime(anomaly.verify_due_at).strftime("%Y-%m-%d %H:%M")
    return [
        Handoff(
            [anomaly.assignee],
            title=_("Anomaly to verify by %(due)s") % {"due": due},
            body=_summary(anomaly),
            level=Notification.Level.WARNING,
        )
    ]


def _to_reporter_with_comment(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
    return [
        Handoff([anomaly.reported_by], title=_("Your anomaly report was returned for revision"), body=comment)
    ]


def _to_verifier_with_comment(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
    if anomaly.assignee is None:
        return []
    return [
        Handoff(
            [anomaly.assignee],
            title=_("Verification report returned for revision"),
            body=comment,
            level=Notification.Level.WARNING,
        )
    ]


def _to_reporter_decided(action: str) -> Callable[[Anomaly, Actor | None, str], list[Handoff]]:
    def handoffs(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
        if actor is not None and anomaly.reported_by_id == actor.user.pk:
            return []
        title = _("Anomaly %(action)s") % {"action": WORKFLOW.transitions[action].label}
        return [Handoff([anomaly.reported_by], title=title, body=_summary(anomaly))]

    return handoffs


def _step(
    sources: set[str],
    target: str,
    permission: Callable[[Actor | None, Anomaly], bool],
    label: Any,
    button: Any,
    notify: Callable[[Anomaly, Actor | None, str], list[Handoff]] | None = None,
) -> Transition:
    return Transition(frozenset(sources), target, permission, label, button, notify)


# action -> (states it may start from, state it ends in, who may, what it is called, who is told)
WORKFLOW = register(
    Workflow(
        name="anomaly",
        model=Anomaly,
        noun=gettext_lazy("anomaly"),
        lock=_lock,
        url=anomaly_url,
        live=_live,
        transitions={
            "assign": _step(
                {State.REPORTED},
                State.VERIFYING,
                permissions.can_assign_anomaly,
                gettext_lazy("assigned for verification"),
                gettext_lazy("Assign"),
                _to_assignee,
            ),
            "reassign": _step(
                {State.VERIFYING},
                State.VERIFYING,
                permissions.can_assign_anomaly,
                gettext_lazy("handed to another verifier"),
                gettext_lazy("Reassign"),
                _to_assignee,
            ),
            "return_report": _step(
                {State.REPORTED},
                State.RETURNED,
                permissions.can_return_report,
                gettext_lazy("returned to the reporter"),
                gettext_lazy("Return to the reporter"),
                _to_reporter_with_comment,
            ),
            "resubmit": _step(
                {State.RETURNED},
                State.REPORTED,
                permissions.can_resubmit_anomaly,
                gettext_lazy("revised and resubmitted"),
                gettext_lazy("Resubmit"),
                _to_office(gettext_lazy("Revised anomaly report to review")),
            ),
            "withdraw": _step(
                {State.REPORTED, State.RETURNED},
                State.CLOSED,
                permissions.can_withdraw_anomaly,
                gettext_lazy("withdrawn"),
                gettext_lazy("Withdraw"),
            ),
            "submit_verification": _step(
                {State.VERIFYING},
                State.VERIFIED,
                permissions.can_verify_anomaly,
                gettext_lazy("verification report submitted"),
                gettext_lazy("Submit the verification report"),
                _to_office(gettext_lazy("Verified anomaly to assess")),
            ),
            "return_verification": _step(
                {State.VERIFIED},
                State.VERIFYING,
                permissions.can_review_verification,
                gettext_lazy("verification returned for revision"),
                gettext_lazy("Return the verification for revision"),
                _to_verifier_with_comment,
            ),
            "assess": _step(
                {State.VERIFIED},
                State.ASSESSED,
                permissions.can_assess_anomaly,
                gettext_lazy("assessed by the discipline group"),
                gettext_lazy("Record the assessment"),
            ),
            "return_assessment": _step(
                {State.ASSESSED},
                State.VERIFIED,
                permissions.can_decide_anomaly,
                gettext_lazy("assessment reopened"),
                gettext_lazy("Reopen the assessment"),
            ),
            "track": _step(
                {State.ASSESSED},
                State.TRACKING,
                permissions.can_decide_anomaly,
                gettext_lazy("kept in tracking"),
                gettext_lazy("Keep tracking"),
                _to_reporter_decided("track"),
            ),
            "close": _step(
                {State.ASSESSED, State.TRACKING},
                State.CLOSED,
                permissions.can_decide_anomaly,
                gettext_lazy("closed"),
                pgettext_lazy("anomaly", "Close"),
                _to_reporter_decided("close"),
            ),
        },
    )
)


register_labels(
    {
        "anomaly.report": gettext_lazy("reported"),
        "anomaly.revise": gettext_lazy("revised by the reporter"),
        "anomaly.attach": gettext_lazy("files added"),
        "verification.save": gettext_lazy("verification report saved"),
        "assessment.rate": gettext_lazy("rated on the assessment form"),
        "anomaly.overdue_reminder": gettext_lazy("overdue reminder sent"),
    }
)


# Views of the table for the pages and APIs (names they already import).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    action: (step.sources, step.target) for action, step in WORKFLOW.transitions.items()
}


ACTION_LABELS = {"report": gettext_lazy("reported")} | {
    action: step.label for action, step in WORKFLOW.transitions.items()
}


# What the buttons say (imperative), where ACTION_LABELS say what happened.
ACTION_BUTTONS = {action: step.button for action, step in WORKFLOW.transitions.items()}


def allowed_actions(actor: Actor | None, anomaly: Anomaly) -> list[str]:
    """The transitions ``actor`` may make now (for pages: which buttons to show)."""
    return WORKFLOW.allowed_actions(actor, anomaly)


def _notify_office(anomaly: Anomaly, title: str, *, exclude: Iterable[int] = (), level: str = "info") -> None:
    tell(
        WORKFLOW,
        anomaly,
        [Handoff(_office(anomaly, exclude=exclude), title=title, body=_summary(anomaly), level=level)],
    )


def _require_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Say what needs to be revised."), field="comment")
    return comment


def _comment_required(comment: str) -> Callable[[Anomaly], None]:
    def prepare(locked: Anomaly) -> None:
        _require_comment(comment)

    return prepare
