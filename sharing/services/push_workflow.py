"""The push workflow: a push is active until its bureau's steward stops it.

    active ──stop──▶ stopped

Stopping revokes the push's grants (the services do it in the same transaction); the
bureaus it went to are told. Another bureau's push is 404 to a person who is not one of its
recipients, and 403 to a recipient (they read it, they may not stop it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from portal.exceptions import NotFound
from portal.workflow import Transition, Workflow, register, register_labels
from sharing import permissions
from sharing.models import Push

if TYPE_CHECKING:
    from portal.tenancy import Actor

State = Push.State


def _lock(actor: Actor | None, push: Push | int) -> Push:
    pk: int = push.pk if isinstance(push, Push) else push
    if actor is None:
        rows = Push.objects.select_for_update(of=("self",))
    else:
        rows = Push.objects.visible_to(actor).select_for_update(of=("self",))
    locked = rows.select_related("dataset", "bureau").filter(pk=pk).first()
    if locked is None:
        raise NotFound()
    return locked


WORKFLOW = register(
    Workflow(
        name="push",
        model=Push,
        noun=gettext_lazy("push"),
        lock=_lock,
        url=lambda push: push.get_absolute_url(),
        transitions={
            "stop": Transition(
                frozenset({State.ACTIVE}),
                State.STOPPED,
                permissions.can_stop_push,
                gettext_lazy("stopped"),
                gettext_lazy("Stop pushing"),
            ),
        },
    )
)

register_labels(
    {
        "push.create": gettext_lazy("push started"),
        "push.announce": gettext_lazy("new data announced"),
    }
)
