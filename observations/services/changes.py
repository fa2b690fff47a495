"""Master-data changes: propose, approve (apply), reject, withdraw; and the system's
changes (demo, migrations, commands), recorded as approved with no proposer.

A change's values are validated when it is proposed and again when it is approved, under
the lock: a station code taken since, a station closed since, a range made wrong by
another change are refused then with the same 400 naming the field, and the change stays
proposed (to be rejected or withdrawn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from observations import permissions
from observations.models import Channel, Instrument, MasterDataChange, Station
from portal.exceptions import InvalidInput, PermissionDenied
from portal.services import audit_record
from portal.workflow import tell, transition

from . import change_workflow
from .master_apply import master_data_apply
from .master_values import clean_values, station_of_bureau

if TYPE_CHECKING:
    from portal.models import Bureau
    from portal.tenancy import Actor

Target = MasterDataChange.Target
Action = MasterDataChange.Action
MODELS: dict[str, type[Station] | type[Instrument] | type[Channel]] = {
    Target.STATION: Station,
    Target.INSTRUMENT: Instrument,
    Target.CHANNEL: Channel,
}


def _reason(reason: Any) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise InvalidInput(_("Say why the change is needed."), field="reason")
    if "\x00" in text or len(text) > 2000:
        raise InvalidInput(_("The reason is text of at most 2000 characters."), field="reason")
    return text


def _target_row(bureau: Bureau, target: str, object_id: int | None) -> Any:
    """The row an update or close is about, in ``bureau``; InvalidInput naming object_id."""
    if object_id is None:
        return None
    model = MODELS[target]
    row = model.objects.filter(bureau=bureau, pk=object_id).first()
    if row is None:
        raise InvalidInput(_("No such %(target)s in this bureau.") % {"target": target}, field="object_id")
    return row


def _station_for(bureau: Bureau, target: str, row: Any, values: dict[str, Any]) -> Station | None:
    if target == Target.STATION:
        return row
    if row is not None:
        return row.station
    return station_of_bureau(bureau, values["station"])


def _check_kind(target: str, action: str) -> None:
    if target not in Target.values:
        raise InvalidInput(_("target is station, instrument or channel."), field="target")
    if action not in Action.values:
        raise InvalidInput(_("action is create, update or close."), field="action")


@transaction.atomic
def change_propose(
    *,
    actor: Actor,
    target: str,
    action: str,
    values: Any,
    reason: Any,
    object_id: int | None = None,
) -> MasterDataChange:
    """A bureau admin proposes a change; the other admins of the bureau are told.
    Raises PermissionDenied (not an admin) or InvalidInput naming the field."""
    if not permissions.can_propose_master_data(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau administrator proposes changes to stations and channels."))
    _check_kind(target, action)
    bureau = actor.bureau
    if action == Action.CREATE and object_id is not None:
        raise InvalidInput(_("A new row has no object_id yet."), field="object_id")
    row = _target_row(bureau, target, object_id)
    clean = clean_values(bureau=bureau, target=target, action=action, obj=row, values=values)
    change = MasterDataChange.objects.create(
        bureau=bureau,
        target=target,
        action=action,
        object_id=object_id,
        station=_station_for(bureau, target, row, clean),
        values=clean,
        reason=_reason(reason),
        state=MasterDataChange.State.PROPOSED,
        proposed_by=actor.user,
    )
    audit_record(actor=actor, action="master_data_change.propose", target=change, to_state=change.state)
    tell(change_workflow.WORKFLOW, change, change_workflow.handoff_to_deciders(change))
    return change


def _apply_prepare(actor: Actor | None) -> Any:
    def prepare(locked: MasterDataChange) -> dict[str, Any]:
        row = _target_row(locked.bureau, locked.target, locked.object_id)
        clean = clean_values(
            bureau=locked.bureau, target=locked.target, action=locked.action, obj=row, values=locked.values
        )
        applied = master_data_apply(
            actor=actor,
            bureau=locked.bureau,
            target=locked.target,
            action=locked.action,
            object_id=locked.object_id,
            values=clean,
        )
        return {
            "object_id": applied.obj.pk,
            "station": applied.station,
            "before": applied.before,
            "after": applied.after,
            "decided_by": actor.user if actor is not None else None,
            "decided_at": timezone.now(),
        }

    return prepare


def change_approve(*, actor: Actor, change: MasterDataChange | int, comment: str = "") -> MasterDataChange:
    """A second admin approves: the values are checked again and applied, before and after
    kept. 403 for the proposer, 404 for another bureau, 409 when decided already, 400 when
    the values no longer hold."""
    return transition(
        change,
        "approve",
        actor,
        comment,
        workflow=change_workflow.WORKFLOW,
        prepare=_apply_prepare(actor),
        decision_comment=(comment or "").strip()[:2000],
    )


def change_reject(*, actor: Actor, change: MasterDataChange | int, comment: str = "") -> MasterDataChange:
    """A second admin rejects, saying why (400 without a reason)."""

    def prepare(locked: MasterDataChange) -> dict[str, Any]:
        text = (comment or "").strip()
        if not text:
            raise InvalidInput(_("Say why the change is rejected."), field="comment")
        return {"decided_by": actor.user, "decided_at": timezone.now(), "decision_comment": text[:2000]}

    return transition(change, "reject", actor, comment, workflow=change_workflow.WORKFLOW, prepare=prepare)


def change_withdraw(*, actor: Actor, change: MasterDataChange | int, comment: str = "") -> MasterDataChange:
    """The proposer takes the change back."""
    return transition(change, "withdraw", actor, comment, workflow=change_workflow.WORKFLOW)


TRANSITION_SERVICES = {"approve": change_approve, "reject": change_reject, "withdraw": change_withdraw}


@transaction.atomic
def change_apply_as_system(
    *,
    bureau: Bureau,
    target: str,
    action: str,
    values: dict[str, Any],
    reason: str,
    object_id: int | None = None,
) -> MasterDataChange:
    """The system's change (demo, data migrations, commands): validated and applied like an
    approved one, recorded approved with no proposer and no approver."""
    _check_kind(target, action)
    row = _target_row(bureau, target, object_id)
    clean = clean_values(bureau=bureau, target=target, action=action, obj=row, values=values)
    applied = master_data_apply(
        actor=None, bureau=bureau, target=target, action=action, object_id=object_id, values=clean
    )
    change = MasterDataChange.objects.create(
        bureau=bureau,
        target=target,
        action=action,
        object_id=applied.obj.pk,
        station=applied.station,
        values=clean,
        reason=_reason(reason),
        state=MasterDataChange.State.APPROVED,
        before=applied.before,
        after=applied.after,
        decided_at=timezone.now(),
    )
    audit_record(actor=None, action="master_data_change.system_apply", target=change, to_state=change.state)
    return change
