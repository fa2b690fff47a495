"""Writes of the portal core: bureaus, people and roles, audit trail, notifications."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from . import audit_chain
from .exceptions import InvalidInput, NotFound, PermissionDenied
from .geo import parse_area
from .grants import DATA_ACCESS_ACTION
from .models import AuditEvent, Bureau, Discipline, Membership, Notification, Role, User
from .permissions import (
    can_edit_person_account,
    can_grant_role,
    can_manage_bureaus,
    can_manage_people,
    can_revoke_membership,
    can_view_person,
)
from .tenancy import Actor

logger = logging.getLogger(__name__)


# --- audit -------------------------------------------------------------------------


def audit_record(
    *,
    actor: Actor | User | None,
    action: str,
    target: models.Model,
    bureau: Bureau | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one record to the audit chain: the one way into the audit trail.

    Call inside the transaction of the change, as its last write (``portal.audit_chain``:
    the append holds the chain's lock until the transaction commits). Sign-offs, workflow
    transitions (``portal.workflow``), role and master-data changes, and every later act the
    portal must be able to prove (tokens, data requests, grants, accesses) are recorded here.
    """
    user = actor.user if isinstance(actor, Actor) else actor
    if bureau is None:
        bureau = getattr(target, "bureau", None) if not isinstance(target, Bureau) else target
    return audit_chain.append(
        actor_id=user.pk if user and user.pk else None,
        bureau_id=bureau.pk if bureau is not None else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        extra=extra,
    )


#: How many of the rows read an access record names (the count is kept whole up to the scan).
DATA_ACCESS_IDS_KEPT = 50
DATA_ACCESS_SCAN = 5000


def data_access_record(
    *,
    actor: Actor | None,
    rows: models.QuerySet[Any],
    how: str,
    target: models.Model | None = None,
) -> list[AuditEvent]:
    """Write who read which rows of another bureau that only a grant opened to them.

    ``rows`` is what the read served (a queryset of a tenant-owned model, unsliced); the
    rows the actor reads anyway (their bureau's, public, published to them) are no access
    to shared data and leave no record. One audit row per owning bureau, on ``target`` (the
    channel, run or report read) or on the owning bureau, with ``how`` ("api", "download",
    "fdsn"), the model, how many rows and the first ids, and the personal token the read was
    made with, if any. Nothing to record: no query
    beyond the one that finds the rows.
    """
    if actor is None or actor.bureau is None or actor.is_system_admin:
        return []
    if target is not None and getattr(target, "bureau_id", None) == actor.bureau_id:
        return []  # the bureau's own data
    if rows.query.is_sliced:  # a page of rows: the same rows, filterable
        rows = rows.model._default_manager.filter(pk__in=rows.values("pk"))
    opened = rows.opened_by_grant(actor)  # type: ignore[attr-defined]
    by_bureau: dict[int, list[Any]] = {}
    for bureau_id, pk in opened.order_by().values_list("bureau_id", "pk")[:DATA_ACCESS_SCAN]:
        by_bureau.setdefault(bureau_id, []).append(pk)
    if not by_bureau:
        return []
    owners = Bureau.objects.in_bulk(list(by_bureau))
    label = rows.model._meta.label_lower
    records = []
    for bureau_id, ids in sorted(by_bureau.items()):
        owner = owners[bureau_id]
        records.append(
            audit_record(
                actor=actor,
                action=DATA_ACCESS_ACTION,
                target=target if target is not None else owner,
                bureau=owner,
                extra={
                    "how": how,
                    "model": label,
                    "rows": len(ids),
                    "ids": [str(pk) for pk in sorted(ids)[:DATA_ACCESS_IDS_KEPT]],
                    "reader_bureau": actor.bureau.code,
                    # read by a program with a personal token: which one (None: in a session)
                    "token": actor.token_id,
                },
            )
        )
    return records


def data_access_record_of(*, actor: Actor | None, target: models.Model, how: str) -> list[AuditEvent]:
    """``data_access_record`` of one row read (a report, a run) that the caller holds."""
    if actor is None or getattr(target, "bureau_id", None) == actor.bureau_id:
        return []
    rows = type(target)._default_manager.filter(pk=target.pk)
    return data_access_record(actor=actor, rows=rows, how=how, target=target)


# --- live events ---------------------------------------------------------------------


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def bureau_group(bureau_id: int) -> str:
    return f"bureau.{bureau_id}"


def broadcast(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to a Channels group now; logged, never raised (Redis may blink)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "portal.event", "event": event})
    except Exception:  # the database change stands even when the push fails
        logger.exception("broadcast to %s failed", group)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: broadcast(group, event))


# --- bureaus -------------------------------------------------------------------------

BUREAU_FIELDS = ("name_zh", "name_en", "kind", "is_active")


def _bureau_apply(bureau: Bureau, data: dict[str, Any]) -> None:
    for name in BUREAU_FIELDS:
        if name in data:
            setattr(bureau, name, data[name])
    if "jurisdiction" in data:
        value = data["jurisdiction"]
        bureau.jurisdiction = parse_area(value, field="jurisdiction") if value else None


@transaction.atomic
def bureau_create(*, actor: Actor, code: str, **data: Any) -> Bureau:
    """Create a bureau. System admins only; the code must be new."""
    if not can_manage_bureaus(actor):
        raise PermissionDenied(_("Only a system administrator can create bureaus."))
    code = (code or "").strip().upper()
    if not code:
        raise InvalidInput(_("A bureau needs a code."), field="code")
    if Bureau.objects.filter(code=code).exists():
        raise InvalidInput(_("A bureau with code %(code)s already exists.") % {"code": code}, field="code")
    bureau = Bureau(code=code)
    _bureau_apply(bureau, data)
    _full_clean(bureau)
    try:
        with transaction.atomic():
            bureau.save()
    except IntegrityError:  # two admins creating the same code at once
        raise InvalidInput(
            _("A bureau with code %(code)s already exists.") % {"code": code}, field="code"
        ) from None
    audit_record(actor=actor, action="bureau.create", target=bureau, bureau=bureau)
    return bureau


@transaction.atomic
def bureau_update(*, actor: Actor, bureau: Bureau, **data: Any) -> Bureau:
    """Change a bureau's names, kind, jurisdiction or active flag. System admins only."""
    if not can_manage_bureaus(actor):
        raise PermissionDenied(_("Only a system administrator can change bureaus."))
    bureau = Bureau.objects.select_for_update().get(pk=bureau.pk)
    if "code" in data and data["code"] and data["code"].upper() != bureau.code:
        raise InvalidInput(_("A bureau's code cannot be changed."), field="code")
    data.pop("code", None)
    _bureau_apply(bureau, data)
    _full_clean(bureau)
    bureau.save()
    changed = sorted(k for k in data if k in (*BUREAU_FIELDS, "jurisdiction"))
    audit_record(actor=actor, action="bureau.update", target=bureau, extra={"fields": changed})
    return bureau


def _full_clean(obj: models.Model, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput("; ".join(messages), field=field) from None


# --- people and roles ----------------------------------------------------------------


def _resolve_grant(
    actor: Actor, grant: dict[str, Any], user: User | None = None
) -> tuple[Bureau, str, Discipline | None]:
    code = grant.get("bureau") or (actor.bureau.code if actor.bureau else None)
    bureau = Bureau.objects.filter(code=code).first() if code else None
    if bureau is None:
        raise InvalidInput(_("Unknown bureau %(code)s.") % {"code": code}, field="memberships")
    if not can_grant_role(actor, bureau, user):
        if user is not None and user.is_superuser:
            raise PermissionDenied(_("Only a system administrator can change a system administrator."))
        raise PermissionDenied(
            _("You may only manage people of your own bureau, not %(code)s.") % {"code": bureau.code}
        )
    role = grant.get("role")
    if role not in Role.values:
        raise InvalidInput(
            _("Unknown role %(role)s; roles are %(roles)s.")
            % {"role": role, "roles": ", ".join(Role.values)},
            field="memberships",
        )
    discipline = None
    if grant.get("discipline"):
        discipline = Discipline.objects.filter(code=grant["discipline"]).first()
        if discipline is None:
            raise InvalidInput(
                _("Unknown discipline %(code)s.") % {"code": grant["discipline"]}, field="memberships"
            )
    return bureau, role, discipline


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str,
    memberships: list[dict[str, Any]],
    display_name: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """Create a person with their roles. A bureau admin may grant roles only in their bureau."""
    if not can_manage_people(actor):
        raise PermissionDenied(_("You may not add people."))
    if not memberships and not actor.is_system_admin:
        raise InvalidInput(_("A person needs at least one role in your bureau."), field="memberships")
    grants = [_resolve_grant(actor, grant) for grant in memberships]
    username = (username or "").strip()
    if not username:
        raise InvalidInput(_("A username is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("The username %(name)s is taken.") % {"name": username}, field="username")
    user = User(username=username, display_name=display_name, email=email, phone=phone)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    _full_clean(user, exclude=["password"])
    user.save()
    for bureau, role, discipline in grants:
        _grant(actor, user, bureau, role, discipline)
    audit_record(actor=actor, action="user.create", target=user, bureau=actor.bureau)
    return user


def _grant(actor: Actor, user: User, bureau: Bureau, role: str, discipline: Discipline | None) -> Membership:
    existing = Membership.objects.filter(
        user=user, bureau=bureau, role=role, discipline=discipline, revoked_at__isnull=True
    ).first()
    if existing:
        return existing
    membership = Membership.objects.create(
        user=user, bureau=bureau, role=role, discipline=discipline, granted_by=actor.user
    )
    audit_record(
        actor=actor,
        action="membership.grant",
        target=membership,
        bureau=bureau,
        extra={"user": user.username, "role": role, "discipline": discipline.code if discipline else None},
    )
    return membership


def _require_visible(actor: Actor, user: User) -> None:
    if not can_view_person(actor, user):
        raise NotFound()


def _require_account_editable(actor: Actor, user: User) -> None:
    if can_edit_person_account(actor, user):
        return
    if user.is_superuser:
        raise PermissionDenied(_("Only a system administrator can change a system administrator."))
    raise PermissionDenied(
        _(
            "This person also holds roles in other bureaus: only a system administrator "
            "can change their password, name, e-mail or active flag."
        )
    )


@transaction.atomic
def membership_grant(
    *, actor: Actor, user: User, bureau_code: str | None, role: str, discipline: str | None = None
) -> Membership:
    """Give ``user`` a role in a bureau.

    NotFound when the actor may not see the person; PermissionDenied outside the
    actor's bureau or for a system admin; InvalidInput (field ``role``) when the person
    already holds that role, so the admin learns their click did nothing.
    """
    _require_visible(actor, user)
    bureau, role, discipline_obj = _resolve_grant(
        actor, {"bureau": bureau_code, "role": role, "discipline": discipline}, user
    )
    if Membership.objects.filter(
        user=user, bureau=bureau, role=role, discipline=discipline_obj, revoked_at__isnull=True
    ).exists():
        raise InvalidInput(
            _("%(name)s already holds this role.") % {"name": user.label},
            field="role",
        )
    return _grant(actor, user, bureau, role, discipline_obj)


@transaction.atomic
def membership_revoke(*, actor: Actor, membership: Membership, comment: str = "") -> Membership:
    """End a membership; it stays in the history. PermissionDenied outside the actor's bureau."""
    membership = Membership.objects.select_for_update().select_related("bureau", "user").get(pk=membership.pk)
    if not can_revoke_membership(actor, membership):
        if membership.user.is_superuser:
            raise PermissionDenied(_("Only a system administrator can change a system administrator."))
        raise PermissionDenied(_("You may only manage people of your own bureau."))
    if membership.revoked_at is not None:
        return membership
    membership.revoked_at = timezone.now()
    membership.revoked_by = actor.user
    membership.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.revoke",
        target=membership,
        bureau=membership.bureau,
        comment=comment,
        extra={"user": membership.user.username, "role": membership.role},
    )
    return membership


@transaction.atomic
def memberships_set(*, actor: Actor, user: User, memberships: list[dict[str, Any]]) -> User:
    """Make the person's roles in the bureaus the actor manages exactly ``memberships``.

    Roles in bureaus the actor does not manage are left as they are; naming such
    a bureau is PermissionDenied, and nothing changes.
    """
    _require_visible(actor, user)
    wanted = {
        (b.pk, r, d.pk if d else None): (b, r, d)
        for b, r, d in (_resolve_grant(actor, grant, user) for grant in memberships)
    }
    current = Membership.objects.filter(user=user, revoked_at__isnull=True).select_related("bureau", "user")
    for membership in current:
        if not can_manage_people(actor, membership.bureau):
            continue
        if (membership.bureau_id, membership.role, membership.discipline_id) not in wanted:
            membership_revoke(actor=actor, membership=membership)
    for bureau, role, discipline in wanted.values():
        _grant(actor, user, bureau, role, discipline)
    return user


ACCOUNT_FIELDS = ("display_name", "email", "phone", "password", "is_active")


@transaction.atomic
def user_update(*, actor: Actor, user: User, **data: Any) -> User:
    """Change a person's name, contact, password, roles or active flag.

    Every permission is checked before anything is written: NotFound when the
    actor may not see the person, PermissionDenied when an account field is
    sent by someone who may not change the account (``can_edit_person_account``)
    or a role outside the actor's bureau is named.
    """
    _require_visible(actor, user)
    if any(name in data for name in ACCOUNT_FIELDS):
        _require_account_editable(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    for name in ("display_name", "email", "phone"):
        if name in data:
            setattr(user, name, data[name])
    if data.get("password"):
        try:
            validate_password(data["password"], user)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="password") from None
        user.set_password(data["password"])
    _full_clean(user, exclude=["password"])
    user.save()
    # The active flag before the roles: revoking the last role here hides the person.
    if "is_active" in data and bool(data["is_active"]) != user.is_active:
        (user_reactivate if data["is_active"] else user_deactivate)(actor=actor, user=user)
    if "memberships" in data:
        memberships_set(actor=actor, user=user, memberships=data["memberships"])
    return user


@transaction.atomic
def user_deactivate(*, actor: Actor, user: User, comment: str = "") -> User:
    """Stop a person from signing in; their work and history stay.

    NotFound when the actor may not see the person, PermissionDenied when they
    may not change the account.
    """
    _require_visible(actor, user)
    _require_account_editable(actor, user)
    if user.pk == actor.user.pk:
        raise InvalidInput(_("You cannot deactivate your own account."), field="is_active")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    Token.objects.filter(user=user).delete()  # a deactivated person's API tokens stop working
    audit_record(actor=actor, action="user.deactivate", target=user, bureau=actor.bureau, comment=comment)
    return user


@transaction.atomic
def user_reactivate(*, actor: Actor, user: User) -> User:
    """Let a deactivated person sign in again; same permissions as ``user_deactivate``."""
    _require_visible(actor, user)
    _require_account_editable(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="user.reactivate", target=user, bureau=actor.bureau)
    return user


def auth_token_get_or_create(*, user: User) -> str:
    """The person's API token key, created on first use."""
    token, _created = Token.objects.get_or_create(user=user)
    return token.key


# --- notifications -------------------------------------------------------------------


def _notification_payload(notification: Notification) -> dict[str, Any]:
    return {
        "kind": "notification",
        "id": notification.pk,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "level": notification.level,
        "bureau": notification.bureau.code if notification.bureau else None,
        "created_at": notification.created_at.isoformat(),
    }


@transaction.atomic
def notify_user(
    *,
    user: User,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    kind: str = "message",
    bureau: Bureau | None = None,
) -> Notification:
    """Store a notification for one person and push it to their open pages."""
    # imported here: the deliveries move on the workflow engine, which writes through this module
    from .notifications import deliveries_queue

    notification = Notification.objects.create(
        recipient=user, bureau=bureau, title=title, body=body, url=url, level=level, kind=kind
    )
    broadcast_on_commit(user_group(user.pk), _notification_payload(notification))
    deliveries_queue(notification)  # the channels the person chose besides the app
    return notification


@transaction.atomic
def notify_bureau(
    *,
    bureau: Bureau,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    kind: str = "message",
    roles: list[str] | None = None,
) -> int:
    """Store a notification for every active member of ``bureau`` (optionally some roles only)
    and push it once to the bureau's group. Returns how many people it reached."""
    members = Membership.objects.filter(bureau=bureau, revoked_at__isnull=True, user__is_active=True)
    if roles:
        members = members.filter(role__in=roles)
    user_ids = sorted(set(members.values_list("user_id", flat=True)))
    rows = Notification.objects.bulk_create(
        Notification(recipient_id=uid, bureau=bureau, title=title, body=body, url=url, level=level, kind=kind)
        for uid in user_ids
    )
    if rows:
        payload = _notification_payload(rows[0])
        payload.pop("id")
        payload["recipients"] = user_ids
        broadcast_on_commit(bureau_group(bureau.pk), payload)
    return len(rows)


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all unread when no ids); returns how many."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
