"""The master-data change workflow: the table, the lock and who is told.

    proposed ──approve──▶ approved (applied)
        ├──────reject───▶ rejected
        └─────withdraw──▶ withdrawn

``approve`` and ``reject`` are a second admin's of the same bureau (the proposer is 403);
``withdraw`` is the proposer's. A change not of the actor's bureau is 404 (the lock reads
``editable_by``); a decided change is 409.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from observations import permissions, selectors
from observations.models import MasterDataChange
from portal.exceptions import NotFound
from portal.workflow import Handoff, Transition, Workflow, register, register_labels

if TYPE_CHECKING:
    from portal.tenancy import Actor

State = MasterDataChange.State


def summary(change: MasterDataChange) -> str:
    """ "新建 台站 JX-XS01" in the reader's language."""
    what = change.values.get("code") or (change.station.code if change.station is not None else "")
    if change.target == MasterDataChange.Target.CHANNEL:
        what = f"{change.values.get('station') or what} {change.values.get('item', '')}".strip()
    return f"{change.get_action_display()} {change.get_target_display()} {what}".strip()


def _lock(actor: Actor | None, change: MasterDataChange | int) -> MasterDataChange:
    pk = getattr(change, "pk", change)
    locked = (
        MasterDataChange.objects.editable_by(actor)
        .select_for_update(of=("self",))
        .select_related("bureau", "station")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _to_proposer(change: MasterDataChange, actor: Actor | None, comment: str) -> list[Handoff]:
    if change.proposed_by is None:
        return []
    title = _("Your master-data change was %(outcome)s") % {"outcome": change.get_state_display()}
    return [Handoff([change.proposed_by], title=title, body=comment or summary(change))]


WORKFLOW = register(
    Workflow(
        name="master_data_change",
        model=MasterDataChange,
        noun=gettext_lazy("master-data change"),
        lock=_lock,
        url=lambda change: change.get_absolute_url(),
        transitions={
            "approve": Transition(
                frozenset({State.PROPOSED}),
                State.APPROVED,
                permissions.can_decide_change,
                gettext_lazy("approved and applied"),
                gettext_lazy("Approve and apply"),
                _to_proposer,
            ),
            "reject": Transition(
                frozenset({State.PROPOSED}),
                State.REJECTED,
                permissions.can_decide_change,
                gettext_lazy("rejected"),
                gettext_lazy("Reject"),
                _to_proposer,
            ),
            "withdraw": Transition(
                frozenset({State.PROPOSED}),
                State.WITHDRAWN,
                permissions.can_withdraw_change,
                gettext_lazy("withdrawn"),
                gettext_lazy("Withdraw"),
            ),
        },
    )
)

register_labels(
    {
        "master_data_change.propose": gettext_lazy("proposed"),
        "master_data_change.system_apply": gettext_lazy("applied by the system"),
    }
)

ACTION_BUTTONS = {action: step.button for action, step in WORKFLOW.transitions.items()}


def allowed_actions(actor: Actor | None, change: MasterDataChange) -> list[str]:
    return WORKFLOW.allowed_actions(actor, change)


def handoff_to_deciders(change: MasterDataChange) -> list[Handoff]:
    """Tell the bureau's other admins that a change waits for their decision."""
    users = [u for u in selectors.bureau_admins(bureau=change.bureau_id) if u.pk != change.proposed_by_id]
    title = _("Master-data change to approve: %(what)s") % {"what": summary(change)}
    return [Handoff(users, title=title, body=change.reason)]


def event(change: MasterDataChange) -> dict[str, Any]:
    return {"kind": "master_data_change", "id": change.pk, "state": change.state}
