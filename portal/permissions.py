"""Pure permission predicates: ``can_<verb>_<entity>(actor, obj) -> bool``.

Views, APIs, services, templates and consumers all ask these; services check
them again because Celery tasks and commands call services too.

People (issue 9): a revoked membership grants nothing. A bureau admin

* sees the people who hold an active role in their bureau (``people_visible_q``);
  a former member, whose roles there are all revoked, is not shown at all (404),
  exactly like a person who never held one;
* grants and revokes roles of their own bureau only (``can_grant_role``,
  ``can_revoke_membership``);
* changes a person's account (password, name, e-mail, phone, active flag) only
  while every active role of that person is in their bureau
  (``can_edit_person_account``): otherwise the account also opens another
  bureau's data, and only a system admin may change it;
* never changes a system admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from rest_framework.permissions import BasePermission

from .models import ApiToken, Bureau, Membership, Role, User

if TYPE_CHECKING:
    from .tenancy import Actor

NOBODY = Q(pk__in=[])


def can_manage_bureaus(actor: Actor | None) -> bool:
    return bool(actor and actor.is_system_admin)


def can_check_integrity(actor: Actor | None) -> bool:
    """The audit chain's state, its anchors and the integrity checks are the system admin's."""
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


def people_visible_q(actor: Actor | None) -> Q:
    """Filter on ``User``: the people ``actor`` may read (the one rule; selectors use it too).

    Everyone for a system admin; for a bureau admin the holders of an active
    role in their bureau; nobody for anyone else.
    """
    if actor is None or not can_manage_people(actor):
        return NOBODY
    if actor.is_system_admin:
        return Q()
    from .selectors import memberships_active  # the selectors import these predicates

    members = memberships_active(bureau_ids=[actor.bureau_id])
    return Q(pk__in=members.values("user_id"))


def can_view_person(actor: Actor | None, user: User) -> bool:
    """``actor`` may read ``user``'s account and roles (see ``people_visible_q``)."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    from .selectors import user_list

    return user_list(actor=actor).filter(pk=user.pk).exists()


def _active_bureau_ids(user: User) -> set[int]:
    # Roles in a deactivated bureau count too: they come back when the bureau does.
    from .selectors import memberships_active

    return set(memberships_active(user=user).values_list("bureau_id", flat=True))


def can_edit_person_account(actor: Actor | None, user: User) -> bool:
    """``actor`` may change ``user``'s password, name, e-mail, phone or active flag.

    A system admin may; a bureau admin only while every active role of the
    person is in the admin's bureau, and never for a system admin.
    """
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if user.is_superuser or not can_manage_people(actor):
        return False
    return _active_bureau_ids(user) == {actor.bureau_id}


def can_grant_role(actor: Actor | None, bureau: Bureau, user: User | None = None) -> bool:
    """``actor`` may give a role in ``bureau`` (to ``user`` when given).

    A bureau admin grants in their own bureau only and never to a system admin.
    Whether ``user`` is visible at all is for the caller (``can_view_person``):
    a new person has no role yet.
    """
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if user is not None and user.is_superuser:
        return False
    return can_manage_people(actor, bureau)


def can_revoke_membership(actor: Actor | None, membership: Membership) -> bool:
    """``actor`` may end ``membership``: a bureau admin, in their own bureau, not a system admin's."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    return can_grant_role(actor, membership.bureau, membership.user)


def tokens_visible_q(actor: Actor | None) -> Q:
    """Filter on ``ApiToken``: the tokens ``actor`` may read and revoke (the one rule).

    A person's own tokens (of every bureau); for a bureau admin also every token acting
    for their bureau; every token for a system admin.
    """
    if actor is None or not actor.user.is_authenticated:
        return NOBODY
    if actor.is_system_admin:
        return Q()
    condition = Q(owner_id=actor.user.pk)
    if actor.bureau is not None and actor.has_role(Role.BUREAU_ADMIN):
        condition |= Q(bureau_id=actor.bureau_id)
    return condition


def can_manage_token(actor: Actor | None, token: ApiToken) -> bool:
    """``actor`` may read ``token``'s details and log and revoke it (``tokens_visible_q``)."""
    if actor is None or not actor.user.is_authenticated:
        return False
    if actor.is_system_admin or token.owner_id == actor.user.pk:
        return True
    return token.bureau_id == actor.bureau_id and actor.has_role(Role.BUREAU_ADMIN)


def can_create_token(actor: Actor | None) -> bool:
    """Anyone acting in a bureau may make tokens for themselves, except a system admin,
    whose powers (every bureau, every act) are never handed to a program."""
    return actor is not None and actor.bureau is not None and not actor.user.is_superuser


class HasActor(BasePermission):
    """DRF adapter: the request resolved to an actor (a member of some bureau, or a system admin)."""

    message = "You hold no role in the selected bureau."

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return getattr(request, "actor", None) is not None
