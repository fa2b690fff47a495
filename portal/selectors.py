"""Reads of the portal core. Each takes the actor and returns only what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from .exceptions import NotFound
from .models import AuditEvent, Bureau, Discipline, Membership, Notification, RenderedDocument, User
from .permissions import can_manage_people, people_visible_q
from .tenancy import bureaus_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .tenancy import Actor


def bureau_list(*, actor: Actor | None) -> QuerySet[Bureau]:
    """Every signed-in person may read the list of bureaus (names, kinds, jurisdictions)."""
    if actor is None:
        return Bureau.objects.none()
    qs = Bureau.objects.all()
    return qs if actor.is_system_admin else qs.filter(is_active=True)


def bureau_outlines(*, include_national: bool = False) -> QuerySet[Bureau]:
    """Active bureaus with a jurisdiction, for maps anyone may see."""
    qs = Bureau.objects.filter(is_active=True).exclude(jurisdiction=None)
    return qs if include_national else qs.filter(kind=Bureau.Kind.PROVINCIAL)


def bureau_get(*, actor: Actor | None, code: str) -> Bureau:
    try:
        return bureau_list(actor=actor).get(code=code)
    except Bureau.DoesNotExist:
        raise NotFound() from None


def _with_memberships(qs: QuerySet[User], actor: Actor) -> QuerySet[User]:
    """Attach ``active_memberships``: the person's active roles the actor may see
    (every bureau's for a system admin, the admin's own bureau's otherwise)."""
    active = Membership.objects.filter(revoked_at__isnull=True).select_related("bureau", "discipline")
    if not actor.is_system_admin:  # without a bureau, no bureau's roles
        active = active.filter(bureau=actor.bureau) if actor.bureau else active.none()
    return qs.prefetch_related(Prefetch("memberships", queryset=active, to_attr="active_memberships"))


def user_list(*, actor: Actor | None) -> QuerySet[User]:
    """People the actor may read: everyone for a system admin, the holders of an active
    role in the bureau for its admin (``permissions.people_visible_q``)."""
    if actor is None or not can_manage_people(actor):
        return User.objects.none()
    qs = User.objects.filter(people_visible_q(actor))
    return _with_memberships(qs, actor).order_by("username")


def user_get(*, actor: Actor | None, user_id: int) -> User:
    """A person the actor may read; NotFound otherwise (no existence leak)."""
    try:
        return user_list(actor=actor).get(pk=user_id)
    except User.DoesNotExist:
        raise NotFound() from None


def user_after_change(*, actor: Actor, user: User) -> User:
    """``user`` as the actor sees them right after changing them.

    Unlike ``user_get`` this does not require the person to be visible still:
    revoking someone's last role in the bureau is a change the admin may make,
    and its answer shows the roles left in the admin's bureau (none).
    """
    return _with_memberships(User.objects.filter(pk=user.pk), actor).get()


def membership_get(*, actor: Actor | None, membership_id: int, user: User | None = None) -> Membership:
    """A membership of the actor's bureau (of ``user`` when given); NotFound otherwise."""
    if actor is None or not can_manage_people(actor):
        raise NotFound()
    qs = Membership.objects.select_related("bureau", "user", "discipline")
    if not actor.is_system_admin:  # can_manage_people gave a bureau admin a bureau
        qs = qs.filter(bureau=actor.bureau) if actor.bureau else qs.none()
    if user is not None:
        qs = qs.filter(user=user)
    try:
        return qs.get(pk=membership_id)
    except Membership.DoesNotExist:
        raise NotFound() from None


def user_memberships(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("bureau", "discipline")
        .order_by("bureau__code", "role")
    )


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).select_related("bureau")
    return qs.filter(read_at__isnull=True) if unread_only else qs


@dataclass(frozen=True)
class NotificationLink:
    """Where a notification leads its reader: ``url`` opens in the bureau acted in now; with
    ``switch_to`` (a bureau code) it opens only after switching to that bureau (a POST, the
    bureau switcher's); neither when it cannot be opened at all."""

    url: str = ""
    switch_to: str = ""


def notification_links(
    *, actor: Actor | None, notifications: Iterable[Notification]
) -> list[NotificationLink]:
    """Where each notification leads. One sent for a bureau leads to that bureau's work, which
    the bureau the person acts in now may not read (404): it is opened in its bureau through the
    switcher, or, in a bureau the person no longer holds a role in, not shown as a link."""
    held: set[int] | None = None  # the person's bureaus, read once and only when needed
    links = []
    for notification in notifications:
        url, bureau = notification.url, notification.bureau  # notification_list selects it
        if not url or bureau is None or (actor and (actor.is_system_admin or bureau.pk == actor.bureau_id)):
            links.append(NotificationLink(url=url))
            continue
        if held is None:
            held = {bureau.pk for bureau in bureaus_of(actor.user)} if actor else set()
        links.append(
            NotificationLink(url=url, switch_to=bureau.code) if bureau.pk in held else NotificationLink()
        )
    return links


def notification_link(*, actor: Actor | None, notification: Notification) -> NotificationLink:
    return notification_links(actor=actor, notifications=[notification])[0]


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def audit_list(*, actor: Actor | None) -> QuerySet[AuditEvent]:
    """Audit trail of the actor's bureau (all of it for a system admin)."""
    if actor is None:
        return AuditEvent.objects.none()
    qs = AuditEvent.objects.select_related("actor", "bureau")
    if actor.is_system_admin:
        return qs
    if not can_manage_people(actor) or actor.bureau is None:  # a bureau admin has a bureau
        return qs.none()
    return qs.filter(bureau=actor.bureau)


def audit_for(*, target_type: str, target_id: int | str) -> QuerySet[AuditEvent]:
    """History of one object; callers check the object is visible first."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).select_related(
        "actor"
    )


def bureau_people_summary(*, bureau: Bureau) -> dict[str, int]:
    counts = (
        Membership.objects.filter(bureau=bureau, revoked_at__isnull=True, user__is_active=True)
        .values("role")
        .annotate(n=Count("user", distinct=True))
    )
    return {row["role"]: row["n"] for row in counts}


def bureau_inactive_people(*, bureau: Bureau) -> QuerySet[User]:
    """Deactivated people who still hold an active role in ``bureau`` (revoked roles grant nothing)."""
    members = Membership.objects.filter(bureau=bureau, revoked_at__isnull=True)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=False).order_by("username")


def bureau_by_code(*, code: str) -> Bureau | None:
    """For workers and commands, which act for the system, not for a person."""
    return Bureau.objects.filter(code=code).first()


def user_by_id(*, user_id: int) -> User | None:
    """For workers and commands, which act for the system, not for a person."""
    return User.objects.filter(pk=user_id, is_active=True).first()


def memberships_active(
    *, user: User | None = None, bureau_ids: Iterable[int] | None = None, roles: Iterable[str] | None = None
) -> QuerySet[Membership]:
    """Unrevoked memberships (a revoked one grants nothing), of ``user``, in ``bureau_ids``,
    with one of ``roles``; what the permission predicates ask about people."""
    qs = Membership.objects.filter(revoked_at__isnull=True)
    if user is not None:
        qs = qs.filter(user=user)
    if bureau_ids is not None:
        qs = qs.filter(bureau_id__in=list(bureau_ids))
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return qs


def portal_disciplines() -> QuerySet[Discipline]:
    """The disciplines (reference data, read by everyone)."""
    return Discipline.objects.all()


def people_who_can(
    *, bureau_ids: Iterable[int], role: str | None = None, discipline: object | None = None
) -> QuerySet[User]:
    """Active people who may take a role in one of ``bureau_ids``: the choices of a person picker.

    ``role`` None means any active role (a participant, a recorder); an expert role with
    ``discipline`` also admits experts of every discipline (a membership without one).
    Each person carries ``bureau_code`` (of a matching grant) so pickers can show
    "name (bureau)", and the list is ordered by name: people pick a name, not a login.
    The services check the same rule with :func:`person_can`.
    """
    grants = Membership.objects.filter(
        user=OuterRef("pk"), bureau_id__in=list(bureau_ids), revoked_at__isnull=True
    )
    if role:
        grants = grants.filter(role=role)
    if discipline is not None:
        discipline_id = getattr(discipline, "pk", discipline)
        grants = grants.filter(Q(discipline_id=discipline_id) | Q(discipline__isnull=True))
    return (
        User.objects.filter(Exists(grants), is_active=True)
        .annotate(bureau_code=Subquery(grants.order_by("bureau__code").values("bureau__code")[:1]))
        .order_by("display_name", "username")
    )


def person_can(
    *, user: User, bureau_ids: Iterable[int], role: str | None = None, discipline: object | None = None
) -> bool:
    return people_who_can(bureau_ids=bureau_ids, role=role, discipline=discipline).filter(pk=user.pk).exists()


def bureau_role_holders(*, bureau: Bureau | int, roles: list[str]) -> QuerySet[User]:
    """Active people holding an active role of ``roles`` in ``bureau`` (who is told of overdue work)."""
    return (
        User.objects.filter(
            memberships__bureau=bureau,
            memberships__role__in=roles,
            memberships__revoked_at__isnull=True,
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


def rendered_document_find(*, kind: str, object_id: int) -> RenderedDocument | None:
    """The rendered document of an owner the caller already fetched through its own selector
    (the owner decides who may read it; this row has no visibility of its own)."""
    return RenderedDocument.objects.filter(kind=kind, object_id=object_id).first()
