"""What waits for a bureau admin: master-data changes another admin proposed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from portal import waiting

from . import selectors
from .services.change_workflow import summary

if TYPE_CHECKING:
    from portal.tenancy import Actor


@waiting.register
def changes_waiting_for_me(actor: Actor) -> list[waiting.WaitingItem]:
    """Proposed changes of the actor's bureau this admin may approve or reject."""
    if actor.bureau is None:
        return []
    return [
        waiting.WaitingItem(
            label=summary(change),
            url=change.get_absolute_url(),
            what=_("to approve or reject"),
            since=change.created_at,
            kind="master_data_change",
        )
        for change in selectors.changes_waiting(actor=actor)
    ]
