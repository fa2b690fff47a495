"""Who may do what with shared data.

* A bureau's **data stewards** set its datasets' levels and words, answer other bureaus'
  requests and push datasets; its **bureau admins** may do all of it too (they also answer
  when the bureau has no steward, and overdue requests are escalated to them). A system
  admin may act for any bureau.
* A person of **another bureau**, whatever their role, may request an on-request dataset.
* Reading is tenancy (``visible_to``): a request is read by both bureaus, a grant by both,
  a push by its owner and the bureaus it goes to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

from .models import DataRequest, Level, Push

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import Dataset

STEWARD_ROLES = (Role.DATA_STEWARD, Role.BUREAU_ADMIN)


def is_steward(actor: Actor | None, bureau_id: int | None) -> bool:
    """``actor`` looks after the data of bureau ``bureau_id`` (steward or admin there)."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if actor.bureau_id is None or actor.bureau_id != bureau_id:
        return False
    return any(actor.has_role(role) for role in STEWARD_ROLES)


def can_manage_datasets(actor: Actor | None) -> bool:
    """May edit the datasets of the bureau acted in (levels, words, sync, pushes)."""
    return actor is not None and actor.bureau_id is not None and is_steward(actor, actor.bureau_id)


def can_edit_dataset(actor: Actor | None, dataset: Dataset) -> bool:
    return is_steward(actor, dataset.bureau_id)


def can_request_dataset(actor: Actor | None, dataset: Dataset) -> bool:
    """Someone of another bureau, for an active dataset offered on request."""
    if actor is None or actor.bureau_id is None or not actor.roles:
        return False
    return actor.bureau_id != dataset.bureau_id and dataset.level == Level.ON_REQUEST and dataset.is_active


def can_decide_request(actor: Actor | None, request: DataRequest) -> bool:
    """Approve or refuse: the owner's steward or admin."""
    return is_steward(actor, request.bureau_id)


def can_revoke_request(actor: Actor | None, request: DataRequest) -> bool:
    return is_steward(actor, request.bureau_id)


def can_push_dataset(actor: Actor | None, dataset: Dataset) -> bool:
    return is_steward(actor, dataset.bureau_id) and dataset.is_active


def can_stop_push(actor: Actor | None, push: Push) -> bool:
    return is_steward(actor, push.bureau_id)


def can_change_settings(actor: Actor | None) -> bool:
    """The bureau's answer deadline: its admin (or the system admin)."""
    if actor is None:
        return False
    return actor.is_system_admin or (actor.bureau_id is not None and actor.has_role(Role.BUREAU_ADMIN))
