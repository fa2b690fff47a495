"""Pure permission predicates: ``can_<verb>_<entity>(actor, obj) -> bool``.

Views, APIs, services, templates and consumers all ask these; services check
them again because Celery tasks and commands call services too.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .models import Bureau, Role, User
from .tenancy import Actor


def can_manage_bureaus(actor: Actor | None) -> bool:
    return bool(actor and actor.is_system_admin)


def can_manage_people(actor: Actor | None, bureau: Bureau | None = None) -> bool:
    """System admins manage anyone; a bureau admin manages their own bureau only."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if actor.bureau is None or not actor.has_role(Role.BUREAU_ADMIN):
        return False
    return bureau is None or bureau.pk == actor.bureau_id


def can_manage_user(actor: Actor | None, user: User) -> bool:
    """A bureau admin manages people who hold a role in their bureau, never a system admin."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if user.is_superuser or not can_manage_people(actor):
        return False
    return user.memberships.filter(bureau_id=actor.bureau_id).exists()


class HasActor(BasePermission):
    """DRF adapter: the request resolved to an actor (a member of some bureau, or a system admin)."""

    message = "You hold no role in the selected bureau."

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return getattr(request, "actor", None) is not None
