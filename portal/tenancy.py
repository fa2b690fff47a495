"""Tenancy: who is acting, in which bureau, and what they may read.

This module is the one place that decides visibility. Every tenant-owned model
inherits :class:`TenantOwned`, and every selector starts from
``Model.objects.visible_to(actor)``:

* people of a bureau read everything of their own bureau (drafts included);
* national units and centres also read what other bureaus have *published*
  (each model says what published means in ``PUBLISHED_Q``);
* a province never reads another province's unpublished work;
* material shared with a joint consultation is opened by the model's
  ``shared_q(actor)`` hook;
* rows the model declares public (``PUBLIC_Q``) are read by anyone;
* rows of another bureau's dataset that is open to all bureaus, or that the bureau granted
  to the actor's bureau (an approved request, a push), are opened by the grant sources
  registered in ``portal.grants`` (the sharing app fills it): the grant's scope narrows
  them (period, channels), its expiry or revocation ends it, checked in the same query;
* otherwise: no actor, no rows (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from django.contrib.gis.db import models
from django.db.models import Q, QuerySet

from . import grants
from .models import Bureau, Membership, Role, TimeStamped, User

if TYPE_CHECKING:
    from .models import Discipline


@dataclass(frozen=True)
class Actor:
    """A signed-in person acting in one bureau with the roles they hold there."""

    user: User
    bureau: Bureau | None
    memberships: tuple[Membership, ...] = field(default=())
    # the personal API token the request was made with (portal.tokens); None: a session
    token_id: int | None = None

    @property
    def bureau_id(self) -> int | None:
        return self.bureau.pk if self.bureau else None

    @property
    def is_system_admin(self) -> bool:
        return bool(self.user.is_superuser and self.user.is_active)

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.memberships}

    def has_role(self, role: Role | str, *, discipline: Discipline | str | None = None) -> bool:
        """True when the person holds ``role`` in this bureau.

        With ``discipline``, a membership for that discipline or one with no
        discipline (it covers all) counts.
        """
        code = getattr(discipline, "code", discipline)
        for membership in self.memberships:
            if membership.role != role:
                continue
            if code is None or membership.discipline_id is None:
                return True
            if membership.discipline.code == code:
                return True
        return False

    def disciplines_for(self, role: Role | str) -> set[str] | None:
        """Discipline codes covered by ``role``; None means every discipline."""
        codes: set[str] = set()
        for membership in self.memberships:
            if membership.role != role:
                continue
            if membership.discipline_id is None:
                return None
            codes.add(membership.discipline.code)
        return codes

    @property
    def reads_published(self) -> bool:
        return bool(self.bureau and self.bureau.reads_published)


def memberships_of(user: User) -> list[Membership]:
    if not user.is_authenticated or not user.is_active:
        return []
    return list(
        Membership.objects.filter(user=user, revoked_at__isnull=True, bureau__is_active=True)
        .select_related("bureau", "discipline")
        .order_by("bureau__code", "role")
    )


def bureaus_of(user: User) -> list[Bureau]:
    seen: dict[int, Bureau] = {}
    for membership in memberships_of(user):
        seen.setdefault(membership.bureau_id, membership.bureau)
    return list(seen.values())


def actor_for(user: User, bureau_code: str | None = None) -> Actor | None:
    """Resolve the actor for ``user`` in the bureau named by ``bureau_code``.

    Without a code the person's first bureau is used. A code the person holds
    no role in gives no actor (a system admin may act in any bureau).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    memberships = memberships_of(user)
    bureau: Bureau | None = None
    if bureau_code:
        bureau = next((m.bureau for m in memberships if m.bureau.code == bureau_code), None)
        if bureau is None and user.is_superuser:
            bureau = Bureau.objects.filter(code=bureau_code).first()
        if bureau is None:
            return None
    elif memberships:
        bureau = memberships[0].bureau
    held = tuple(m for m in memberships if bureau and m.bureau_id == bureau.pk)
    if bureau is None and not user.is_superuser:
        return None
    return Actor(user=user, bureau=bureau, memberships=held)


def bureau_reader(bureau: Bureau) -> Actor:
    """What ``bureau`` reads, for work done for the bureau rather than a person (a report
    built for it, a run of its schedule): no roles, and never more because of who asked."""
    from django.contrib.auth.models import AnonymousUser

    return Actor(user=AnonymousUser(), bureau=bureau, memberships=())  # type: ignore[arg-type]


_F = TypeVar("_F", bound=Callable[..., Any])


def system_read(reason: str) -> Callable[[_F], _F]:
    """Mark a selector that reads a tenant-owned model without ``visible_to`` / ``editable_by``.

    Two kinds of read may: the system's (a worker, watchdog or hook holding an id, with no
    person acting) and the rows under a parent the caller already read through
    ``visible_to`` (an anomaly's attachments). ``reason`` says which; the architecture test
    (``tests/test_architecture.py``) finds every other tenant read in a selector.
    """

    def mark(function: _F) -> _F:
        function.system_read = reason  # type: ignore[attr-defined]
        return function

    return mark


class TenantQuerySet(QuerySet):
    def for_bureau(self, bureau: Bureau | int) -> TenantQuerySet:
        return self.filter(bureau=bureau)

    def visible_to(self, actor: Actor | None) -> TenantQuerySet:
        """Rows ``actor`` may read; without an actor only the model's public rows (fail closed)."""
        model: Any = self.model
        public = getattr(model, "PUBLIC_Q", None)
        if actor is None:
            return self.filter(public) if public is not None else self.none()
        if actor.is_system_admin:
            return self
        if actor.bureau is None:
            return self.filter(public) if public is not None else self.none()
        condition = self._ordinary(actor)
        granted = self._granted(actor)
        if granted is not None:
            condition |= granted
        return self.filter(condition)

    def opened_by_grant(self, actor: Actor | None) -> TenantQuerySet:
        """The rows ``actor`` reads only because a grant opens them (not their bureau's, not
        public, published to them or shared with them): the reads an access log records."""
        if actor is None or actor.bureau is None or actor.is_system_admin:
            return self.none()
        granted = self._granted(actor)
        if granted is None:
            return self.none()
        return self.filter(granted).exclude(self._ordinary(actor))

    def _ordinary(self, actor: Actor) -> Q:
        """Own bureau, public, published (for national units), shared by joint work."""
        model: Any = self.model
        condition = Q(bureau_id=actor.bureau_id)
        public = getattr(model, "PUBLIC_Q", None)
        if public is not None:
            condition |= public
        published = getattr(model, "PUBLISHED_Q", None)
        if published is not None and actor.reads_published:
            condition |= published
        shared = model.shared_q(actor)
        if shared is not None:
            condition |= shared
        return condition

    def _granted(self, actor: Actor) -> Q | None:
        """What the grant sources of ``portal.grants`` open to ``actor`` (None: nothing).
        A source of published rows only (reports) is narrowed here by the model's own
        ``PUBLISHED_Q``: a grant never opens another bureau's drafts."""
        model: Any = self.model
        condition: Q | None = None
        for source in grants.sources_for(model):
            opened = source.func(actor)
            if opened is None:
                continue
            if source.published_only:
                published = getattr(model, "PUBLISHED_Q", None)
                if published is None:
                    continue
                opened = published & opened
            condition = opened if condition is None else condition | opened
        return condition

    def editable_by(self, actor: Actor | None) -> TenantQuerySet:
        """Rows ``actor`` may change: only their own bureau's."""
        if actor is None:
            return self.none()
        if actor.is_system_admin:
            return self
        if actor.bureau is None:
            return self.none()
        return self.filter(bureau_id=actor.bureau_id)


class TenantOwned(TimeStamped):
    """Base of every model that belongs to a bureau."""

    bureau = models.ForeignKey("portal.Bureau", on_delete=models.PROTECT, related_name="+")

    objects = TenantQuerySet.as_manager()

    # What "published" means for the model, e.g. Q(status__in=["issued", "archived"]):
    # national units and centres read those rows of every bureau. None: never read
    # outside the bureau.
    PUBLISHED_Q: ClassVar[Q | None] = None
    # Rows anyone may read, even without signing in (e.g. published catalog events).
    PUBLIC_Q: ClassVar[Q | None] = None

    class Meta:
        abstract = True

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        """Rows of other bureaus opened to ``actor`` (e.g. a joint consultation)."""
        return None
