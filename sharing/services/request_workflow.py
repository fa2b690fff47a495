"""The data-request workflow: the table, the lock and who is told.

    pending ──approve──▶ approved ──revoke──▶ revoked
       └─────refuse───▶ refused       └──expire (the system)──▶ expired

``approve``, ``refuse`` and ``revoke`` are the owner's data steward's (or bureau admin's): the
asking bureau reads its request but may not decide it (403); another bureau does not see it
(404); a decided request is 409. ``expire`` is the system's, once the grant's expiry passed
(the grant stopped opening data at that moment already: ``visible_to`` checks the expiry).
The person who asked is told each outcome; a new request and an overdue one are told to the
owner's stewards and admins by the services (they are not moves of the table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import NotFound
from portal.workflow import Handoff, Transition, Workflow, by_the_system, register, register_labels
from sharing import permissions
from sharing.models import DataRequest

if TYPE_CHECKING:
    from portal.tenancy import Actor

State = DataRequest.State


def _lock(actor: Actor | None, request: DataRequest | int) -> DataRequest:
    pk: int = request.pk if isinstance(request, DataRequest) else request
    """The request, locked; through ``visible_to`` for a person (the asking bureau reaches
    its request and is then refused with 403, another bureau gets 404), by id for the system."""
    if actor is None:
        rows = DataRequest.objects.select_for_update(of=("self",))
    else:
        rows = DataRequest.objects.visible_to(actor).select_for_update(of=("self",))
    locked = (
        rows.select_related("dataset", "bureau", "requester_bureau", "requested_by").filter(pk=pk).first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _to_requester(request: DataRequest, actor: Actor | None, comment: str) -> list[Handoff]:
    if request.requested_by is None:
        return []
    title = _("Your request for %(dataset)s was %(outcome)s") % {
        "dataset": request.dataset.title_zh,
        "outcome": request.get_state_display(),
    }
    return [Handoff([request.requested_by], title=title, body=comment or request.reason)]


WORKFLOW = register(
    Workflow(
        name="data_request",
        model=DataRequest,
        noun=gettext_lazy("data request"),
        lock=_lock,
        url=lambda request: request.get_absolute_url(),
        # the outcomes are told to the asking bureau's person: the link opens in that bureau
        bureau=lambda request: request.requester_bureau,
        transitions={
            "approve": Transition(
                frozenset({State.PENDING}),
                State.APPROVED,
                permissions.can_decide_request,
                gettext_lazy("approved"),
                gettext_lazy("Approve"),
                _to_requester,
            ),
            "refuse": Transition(
                frozenset({State.PENDING}),
                State.REFUSED,
                permissions.can_decide_request,
                gettext_lazy("refused"),
                gettext_lazy("Refuse"),
                _to_requester,
            ),
            "revoke": Transition(
                frozenset({State.APPROVED}),
                State.REVOKED,
                permissions.can_revoke_request,
                gettext_lazy("revoked"),
                gettext_lazy("Revoke"),
                _to_requester,
            ),
            "expire": Transition(
                frozenset({State.APPROVED}),
                State.EXPIRED,
                by_the_system,
                gettext_lazy("expired"),
                notify=_to_requester,
            ),
        },
    )
)

#: The actions a person may ask for (the API's contract); ``expire`` is the system's.
PERSON_ACTIONS = ("approve", "refuse", "revoke")

register_labels(
    {
        "data_request.create": gettext_lazy("requested"),
        "data_request.escalate": gettext_lazy("overdue: escalated to the bureau admins"),
        "grant.create": gettext_lazy("access granted"),
        "grant.revoke": gettext_lazy("access revoked"),
        "data.access": gettext_lazy("shared data read"),
        "dataset.update": gettext_lazy("dataset changed"),
        "dataset.level": gettext_lazy("sharing level set"),
        "sharing.settings": gettext_lazy("answer deadline set"),
    }
)


def allowed_actions(actor: Actor | None, request: DataRequest) -> list[str]:
    return [a for a in WORKFLOW.allowed_actions(actor, request) if a in PERSON_ACTIONS]


def event(request: DataRequest) -> dict[str, Any]:
    return {"kind": "data_request", "id": request.pk, "state": request.state}
