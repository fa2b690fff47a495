"""The post-quake trend opinion (震后趋势判定意见) and its workflow (``OPINION_WORKFLOW``).

    draft ──issue──▶ issued                                 the chair (no sign-off required)
    draft ──submit──▶ submitted ──sign_off──▶ issued        the chair, then an approver who
    submitted ──return (comment)──▶ draft                   did not submit it (four eyes)

Where the bureau's ``PostQuakeSettings.signoff_required`` is on, the chair submits and an
approver signs off; "issue" is refused with a message saying so (409). Every move goes
through ``portal.workflow.transition``: the row locked, the right checked before the state
(403 before 409), saved, audited, the next people told (submitted → the bureau's approvers;
returned → the chair who submitted it, with the comment; signed off → that chair) and the new
state broadcast to open pages.

The text is fixed when the opinion is submitted or issued: an empty text becomes the draft's
prefill in the language of the person fixing it, the structured judgement (sequence type,
expected largest aftershock) the draft's where the chair left it empty. An issued opinion
never changes (the edit is refused, 409). Issuing — directly or by sign-off — runs
:func:`opinion_became_issued`, the one place where an opinion becomes issued: the case moves
on with its first one, the pushes go out, and what waited on the sign-off is proposed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.models import Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record, bureau_group
from portal.workflow import Handoff, Transition, Workflow, register, register_labels, row_lock, transition
from postquake import permissions as perms
from postquake.changes import opinion_changes, sequence_type_of
from postquake.models import CaseState, OpinionState, PostQuakeCase, PostQuakeOpinion
from postquake.selectors import opinion_last_issued, settings_for
from postquake.wording import SEQUENCE_TYPES, opinion_text

from .cases import case_mark_issued
from .proposals import propose_after_issue
from .pushes import opinion_push_plan

if TYPE_CHECKING:
    from collections.abc import Mapping

    from portal.tenancy import Actor

State = OpinionState
COMMENT_MAX = 4000
TEXT_MAX = 20000
MAGNITUDE_MAX = 9.9


def _label(opinion: PostQuakeOpinion) -> str:
    return _("No. %(n)s, %(event)s") % {"n": opinion.number, "event": opinion.case.event}


def _live(opinion: PostQuakeOpinion, action: str) -> tuple[str, dict[str, Any]]:
    return bureau_group(opinion.bureau_id), {
        "kind": "postquake_opinion",
        "action": action,
        "id": opinion.pk,
        "case": opinion.case_id,
        "number": opinion.number,
        "state": opinion.state,
        "state_label": str(opinion.get_state_display()),
        "url": opinion.get_absolute_url(),
    }


def _to_approvers(opinion: PostQuakeOpinion, actor: Actor | None, comment: str) -> list[Handoff]:
    people = [
        u
        for u in bureau_role_holders(bureau=opinion.bureau_id, roles=[Role.APPROVER])
        if u.pk != opinion.submitted_by_id
    ]
    title = _("Post-quake opinion to sign off: %(opinion)s") % {"opinion": _label(opinion)}
    return [Handoff(people, title=title, body=comment, level=Notification.Level.URGENT)]


def _to_submitter(action: str) -> Any:
    def handoffs(opinion: PostQuakeOpinion, actor: Actor | None, comment: str) -> list[Handoff]:
        people = [u for u in [opinion.submitted_by] if u is not None and u.is_active]
        title = _("Post-quake opinion %(action)s: %(opinion)s") % {
            "action": OPINION_WORKFLOW.transitions[action].label,
            "opinion": _label(opinion),
        }
        level = Notification.Level.WARNING if action == "return" else Notification.Level.INFO
        return [Handoff(people, title=title, body=comment, level=level)]

    return handoffs


OPINION_WORKFLOW = register(
    Workflow(
        name="postquake_opinion",
        model=PostQuakeOpinion,
        noun=gettext_lazy("post-quake opinion"),
        lock=row_lock(PostQuakeOpinion, "case", "case__event", "case__bureau", "bureau"),
        url=lambda opinion: opinion.get_absolute_url(),
        live=_live,
        transitions={
            "issue": Transition(
                frozenset({State.DRAFT}),
                State.ISSUED,
                perms.can_write_opinion,
                pgettext_lazy("post-quake opinion history", "issued"),
                gettext_lazy("Issue the opinion"),
            ),
            "submit": Transition(
                frozenset({State.DRAFT}),
                State.SUBMITTED,
                perms.can_write_opinion,
                pgettext_lazy("post-quake opinion history", "submitted for sign-off"),
                gettext_lazy("Submit for sign-off"),
                _to_approvers,
            ),
            "sign_off": Transition(
                frozenset({State.SUBMITTED}),
                State.ISSUED,
                perms.can_review_opinion,
                pgettext_lazy("post-quake opinion history", "signed off and issued"),
                gettext_lazy("Sign off and issue"),
                _to_submitter("sign_off"),
            ),
            "return": Transition(
                frozenset({State.SUBMITTED}),
                State.DRAFT,
                perms.can_review_opinion,
                pgettext_lazy("post-quake opinion history", "returned with a comment"),
                gettext_lazy("Return with a comment"),
                _to_submitter("return"),
            ),
        },
    )
)
register_labels(
    {
        "postquake_opinion.propose": gettext_lazy("opinion proposed from the draft"),
        "postquake_opinion.recompute": gettext_lazy("proposed opinion recomputed"),
        "postquake_opinion.edit": gettext_lazy("opinion edited"),
    }
)
ACTIONS = tuple(OPINION_WORKFLOW.transitions)


def opinion_actions(actor: Actor | None, opinion: PostQuakeOpinion) -> list[str]:
    """The moves ``actor`` may make now, as the page offers them: "issue" or "submit" as the
    bureau's sign-off rule says, none once the case is closed."""
    if opinion.case.state == CaseState.CLOSED:
        return []
    actions = OPINION_WORKFLOW.allowed_actions(actor, opinion)
    if "issue" in actions or "submit" in actions:
        signoff = settings_for(bureau=opinion.bureau).signoff_required
        actions = [a for a in actions if a != ("issue" if signoff else "submit")]
    if "sign_off" in actions and not perms.can_sign_off_opinion(actor, opinion):
        actions.remove("sign_off")
    return actions


def can_edit(actor: Actor | None, opinion: PostQuakeOpinion) -> bool:
    """Whether the page offers ``actor`` the edit form."""
    return (
        opinion.state == State.DRAFT
        and opinion.case.state != CaseState.CLOSED
        and perms.can_write_opinion(actor, opinion)
    )


def _comment(comment: str) -> str:
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(
            _("The comment is too long (at most %(n)s characters).") % {"n": COMMENT_MAX}, field="comment"
        )
    return comment


def _require_case_not_closed(opinion: PostQuakeOpinion) -> None:
    if opinion.case.state == CaseState.CLOSED:
        raise InvalidTransition(_("The case is closed; its opinions no longer change."), field="state")


def _fixed(opinion: PostQuakeOpinion, actor: Actor) -> dict[str, Any]:
    """The text and judgement as they stand now, written down (they never change again)."""
    drafted_type, _confidence = sequence_type_of(opinion.snapshot or {})
    bath = (opinion.snapshot.get("bath") or {}).get("max_aftershock")
    return {
        "text": opinion_text(opinion),
        "sequence_type": opinion.sequence_type or drafted_type or "",
        "expected_max_magnitude": (
            opinion.expected_max_magnitude if opinion.expected_max_magnitude is not None else bath
        ),
        "author": opinion.author or actor.user,
    }


def _against_last_issued(opinion: PostQuakeOpinion) -> dict[str, Any]:
    """``changes`` against the opinion issued last before this one (fixed when it is issued)."""
    last = opinion_last_issued(case=opinion.case, before=opinion.number)
    return {
        "changes": opinion_changes(
            last.snapshot if last else None, opinion.snapshot, against=last.number if last else None
        )
    }


@transaction.atomic
def opinion_issue(*, actor: Actor, opinion: PostQuakeOpinion, comment: str = "") -> PostQuakeOpinion:
    """draft → issued, by the chair, where the bureau requires no sign-off."""
    comment = _comment(comment)

    def prepare(locked: PostQuakeOpinion) -> dict[str, Any]:
        _require_case_not_closed(locked)
        if settings_for(bureau=locked.bureau).signoff_required:
            raise InvalidTransition(
                _("This bureau's opinions need an approver's sign-off: submit the opinion for sign-off."),
                field="action",
            )
        return {
            **_fixed(locked, actor),
            **_against_last_issued(locked),
            "issued_by": actor.user,
            "issued_at": timezone.now(),
        }

    issued = transition(opinion, "issue", actor, comment, workflow=OPINION_WORKFLOW, prepare=prepare)
    opinion_became_issued(opinion=issued, actor=actor)
    return issued


@transaction.atomic
def opinion_submit(*, actor: Actor, opinion: PostQuakeOpinion, comment: str = "") -> PostQuakeOpinion:
    """draft → submitted, by the chair: the text is fixed as the approver will read it; the
    bureau's approvers are told."""
    comment = _comment(comment)

    def prepare(locked: PostQuakeOpinion) -> dict[str, Any]:
        _require_case_not_closed(locked)
        return {
            **_fixed(locked, actor),
            **_against_last_issued(locked),
            "submitted_by": actor.user,
            "submitted_at": timezone.now(),
            "return_comment": "",
        }

    return transition(opinion, "submit", actor, comment, workflow=OPINION_WORKFLOW, prepare=prepare)


def _four_eyes(actor: Actor, opinion: PostQuakeOpinion) -> None:
    """A clear 403 for the approver who submitted the opinion themselves."""
    if perms.can_review_opinion(actor, opinion) and not perms.can_sign_off_opinion(actor, opinion):
        raise PermissionDenied(_("Four eyes: you submitted this opinion; another approver signs it off."))


@transaction.atomic
def opinion_sign_off(*, actor: Actor, opinion: PostQuakeOpinion, comment: str = "") -> PostQuakeOpinion:
    """submitted → issued (签发), by an approver who did not submit it."""
    comment = _comment(comment)
    _four_eyes(actor, opinion)

    def prepare(locked: PostQuakeOpinion) -> dict[str, Any]:
        _require_case_not_closed(locked)
        now = timezone.now()
        return {
            **_against_last_issued(locked),
            "signer": actor.user,
            "signed_off_at": now,
            "issued_by": actor.user,
            "issued_at": now,
        }

    issued = transition(opinion, "sign_off", actor, comment, workflow=OPINION_WORKFLOW, prepare=prepare)
    opinion_became_issued(opinion=issued, actor=actor)
    return issued


@transaction.atomic
def opinion_return(*, actor: Actor, opinion: PostQuakeOpinion, comment: str) -> PostQuakeOpinion:
    """submitted → draft with a comment (required), by an approver; the chair who submitted it
    is told and edits it again."""
    comment = _comment(comment)

    def prepare(locked: PostQuakeOpinion) -> dict[str, Any]:
        if not comment:
            raise InvalidInput(_("Say what needs changing when returning an opinion."), field="comment")
        return {"return_comment": comment}

    return transition(opinion, "return", actor, comment, workflow=OPINION_WORKFLOW, prepare=prepare)


def opinion_transition(
    *, actor: Actor, opinion: PostQuakeOpinion, action: str, comment: str = ""
) -> PostQuakeOpinion:
    """One entry for the API and the page: ``action`` by name (400 for an unknown one)."""
    if action not in ACTIONS:
        raise InvalidInput(
            _("Unknown action %(action)s (one of: %(actions)s).")
            % {"action": action, "actions": ", ".join(ACTIONS)},
            field="action",
        )
    if action == "return":
        return opinion_return(actor=actor, opinion=opinion, comment=comment)
    service = {"issue": opinion_issue, "submit": opinion_submit, "sign_off": opinion_sign_off}[action]
    return service(actor=actor, opinion=opinion, comment=comment)


def opinion_became_issued(*, opinion: PostQuakeOpinion, actor: Actor) -> None:
    """The one place where an opinion becomes issued (by the chair, or by an approver's
    sign-off), inside that move's transaction:

    * the first issued opinion moves the case open → opinion_issued, stamping
      ``case.issued_at`` (its punctuality against ``due_at``);
    * the opinion is pushed over the bureau's channels (``pushes.opinion_push_plan``);
    * re-evaluations that waited while it awaited sign-off propose an update at once.

    Whatever else must hear of an issued opinion (subscriptions' ``postquake_opinion``
    product) is called from here.
    """
    case = (
        PostQuakeCase.objects.select_for_update(of=("self",))
        .select_related("event", "bureau")
        .get(pk=opinion.case_id)
    )
    if case.state == CaseState.OPEN:
        case = case_mark_issued(actor=actor, case=case, issued_at=opinion.issued_at or timezone.now())
    opinion_push_plan(opinion=opinion)
    propose_after_issue(case=case, issued=opinion)
    from postquake.tasks import announce_opinion_task

    opinion_id = opinion.pk
    transaction.on_commit(lambda: announce_opinion_task.delay(opinion_id=opinion_id))


# --- the chair's edit -------------------------------------------------------------------------

EDIT_FIELDS = ("text", "sequence_type", "expected_max_magnitude")


def _clean_edit(data: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if data.get("refill"):
        clean["text"] = ""
    elif "text" in data and data["text"] is not None:
        text = str(data["text"]).replace("\x00", "").replace("\r\n", "\n").strip()
        if len(text) > TEXT_MAX:
            raise InvalidInput(
                _("The opinion is too long (at most %(n)s characters).") % {"n": TEXT_MAX}, field="text"
            )
        clean["text"] = text
    if "sequence_type" in data and data["sequence_type"] is not None:
        code = str(data["sequence_type"]).strip()
        if code and code not in SEQUENCE_TYPES:
            raise InvalidInput(
                _("Unknown sequence type %(code)s (one of: %(codes)s).")
                % {"code": code, "codes": ", ".join(SEQUENCE_TYPES)},
                field="sequence_type",
            )
        clean["sequence_type"] = code
    if "expected_max_magnitude" in data:
        value = data["expected_max_magnitude"]
        if value is not None:
            try:
                value = round(float(value), 1)
            except (TypeError, ValueError):
                raise InvalidInput(
                    _("Give the magnitude as a number."), field="expected_max_magnitude"
                ) from None
            if not 0.0 <= value <= MAGNITUDE_MAX:
                raise InvalidInput(
                    _("The magnitude must be between 0 and %(max)s.") % {"max": MAGNITUDE_MAX},
                    field="expected_max_magnitude",
                )
        clean["expected_max_magnitude"] = value
    return clean


@transaction.atomic
def opinion_edit(*, actor: Actor, opinion: PostQuakeOpinion, data: Mapping[str, Any]) -> PostQuakeOpinion:
    """The chair's text and judgement of a proposed opinion (``data``: ``text``,
    ``sequence_type``, ``expected_max_magnitude``; ``refill``: back to the draft's prefill).

    403 for anyone but the bureau's chair; 409 once submitted (an approver returns it first),
    issued (frozen) or the case closed; 400 naming the field for bad input.
    """
    locked = OPINION_WORKFLOW.lock(actor, opinion)
    if not perms.can_write_opinion(actor, locked):
        raise PermissionDenied(_("Only the bureau's chair edits the opinion."))
    if locked.state == State.ISSUED:
        raise InvalidTransition(_("This opinion is issued; an issued opinion never changes."), field="state")
    if locked.state == State.SUBMITTED:
        raise InvalidTransition(
            _("This opinion awaits sign-off; an approver returns it before it can be edited."), field="state"
        )
    _require_case_not_closed(locked)
    clean = _clean_edit(data)
    changed = [name for name in EDIT_FIELDS if name in clean and getattr(locked, name) != clean[name]]
    for name in changed:
        setattr(locked, name, clean[name])
    locked.edited_at, locked.author = timezone.now(), actor.user
    locked.save(update_fields=[*changed, "edited_at", "author", "updated_at"])
    audit_record(actor=actor, action="postquake_opinion.edit", target=locked, extra={"fields": changed})
    return locked
