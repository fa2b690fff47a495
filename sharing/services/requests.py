"""Requests for on-request datasets: ask, approve (a grant), refuse, revoke; the deadline
sweep (escalate the overdue once) and the expiry sweep.

The period and channels asked for are checked against the dataset (channels only for
series, each one of the dataset's); an approval may narrow them, never widen them, and may
set an expiry. Every request, answer, grant and revocation is audited; the owner's stewards
(or admins) are told of a new request and its deadline, its admins of an overdue one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Notification
from portal.services import audit_record, notify_user
from portal.timefmt import BEIJING, format_time
from portal.validators import is_work_date
from portal.workflow import transition, transition_each
from sharing import permissions, selectors
from sharing.models import DEFAULT_ANSWER_DAYS, DataRequest, Dataset, Grant
from sharing.workdays import due_after

from . import request_workflow

if TYPE_CHECKING:
    from portal.tenancy import Actor

PURPOSE_MAX = 2000
REASON_MAX = 2000
#: An expiry at most this far ahead (an open-ended grant has none).
EXPIRY_MAX = dt.timedelta(days=5 * 366)


@dataclass(frozen=True)
class Scope:
    """What of a dataset is asked for or granted: a period (dates, inclusive) and channels
    (series only; empty: every channel of the dataset)."""

    period_start: dt.date | None = None
    period_end: dt.date | None = None
    channels: tuple[int, ...] = field(default=())


def _text(value: Any, *, name: str, needed: bool, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if needed and not text:
        raise InvalidInput(_("Say why: %(field)s is needed.") % {"field": name}, field=name)
    if len(text) > limit or "\x00" in text:
        raise InvalidInput(
            _("%(field)s is text of at most %(limit)d characters.") % {"field": name, "limit": limit},
            field=name,
        )
    return text


def check_scope(dataset: Dataset, scope: Scope) -> Scope:
    """``scope`` made sure of against ``dataset``: dates in range and in order, channels
    only for series and each one of the dataset's. InvalidInput names the field."""
    for name in ("period_start", "period_end"):
        value = getattr(scope, name)
        if value is not None and not is_work_date(value):
            raise InvalidInput(_("%(field)s must be a date from 1900 to 2199.") % {"field": name}, field=name)
    if scope.period_start and scope.period_end and scope.period_end < scope.period_start:
        raise InvalidInput(_("period_end must not be before period_start."), field="period_end")
    channels = tuple(sorted(set(scope.channels)))
    if channels:
        if not dataset.is_series:
            raise InvalidInput(
                _("channels apply to the series of a station or an item only."), field="channels"
            )
        unknown = set(channels) - selectors.dataset_channel_ids(dataset=dataset)
        if unknown:
            raise InvalidInput(
                _("These channels are not in the dataset: %(ids)s.")
                % {"ids": ", ".join(map(str, sorted(unknown)))},
                field="channels",
            )
    return Scope(scope.period_start, scope.period_end, channels)


def _narrowed(request: DataRequest, scope: Scope | None) -> Scope:
    """The approved scope: what was asked, or a part of it (a bound or the channels not
    given stay as asked: an approval cannot widen a request); wider is a 400."""
    asked = Scope(request.period_start, request.period_end, tuple(request.channel_ids))
    if scope is None:
        return asked
    granted = check_scope(
        request.dataset,
        Scope(
            scope.period_start or asked.period_start,
            scope.period_end or asked.period_end,
            scope.channels or asked.channels,
        ),
    )
    if asked.period_start and (granted.period_start is None or granted.period_start < asked.period_start):
        raise InvalidInput(
            _("period_start may narrow the period asked for, not widen it."), field="period_start"
        )
    if asked.period_end and (granted.period_end is None or granted.period_end > asked.period_end):
        raise InvalidInput(_("period_end may narrow the period asked for, not widen it."), field="period_end")
    if asked.channels and (not granted.channels or not set(granted.channels) <= set(asked.channels)):
        raise InvalidInput(_("channels may be some of the channels asked for, not others."), field="channels")
    return granted


def _bounds(scope: Scope) -> dict[str, Any]:
    """The grant's period as dates and as Beijing instants (start of the first day, start of
    the day after the last)."""

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0, 0), tzinfo=BEIJING)

    return {
        "period_start": scope.period_start,
        "period_end": scope.period_end,
        "starts_at": midnight(scope.period_start) if scope.period_start else None,
        "ends_at": midnight(scope.period_end + dt.timedelta(days=1)) if scope.period_end else None,
        "channel_ids": list(scope.channels),
    }


def _scope_extra(scope: Scope) -> dict[str, Any]:
    return {
        "period_start": scope.period_start.isoformat() if scope.period_start else None,
        "period_end": scope.period_end.isoformat() if scope.period_end else None,
        "channels": list(scope.channels),
    }


def _tell_stewards(request: DataRequest, *, title: str, body: str, level: str, people: list[Any]) -> None:
    """Work for the owner's people: the link opens in the owner's bureau."""
    for user in people:
        notify_user(
            user=user,
            title=title,
            body=body,
            url=request.get_absolute_url(),
            level=level,
            kind=request_workflow.WORKFLOW.name,
            bureau=request.bureau,
        )


@transaction.atomic
def request_create(
    *, actor: Actor, dataset: Dataset, purpose: Any, scope: Scope, now: dt.datetime | None = None
) -> DataRequest:
    """Ask for an on-request dataset of another bureau. 403 for one's own bureau's, for a
    dataset open to all (nothing to ask) or not shared; 400 naming the field for a purpose
    missing or a scope outside the dataset. The owner's stewards are told, with the deadline."""
    now = now or timezone.now()
    if actor.bureau is None or not permissions.can_request_dataset(actor, dataset):
        raise PermissionDenied(_("This dataset is not offered on request to your bureau."))
    text = _text(purpose, name="purpose", needed=True, limit=PURPOSE_MAX)
    checked = check_scope(dataset, scope)
    days = selectors.answer_days(bureau_id=dataset.bureau_id) or DEFAULT_ANSWER_DAYS
    request = DataRequest.objects.create(
        bureau_id=dataset.bureau_id,
        dataset=dataset,
        requester_bureau=actor.bureau,
        requested_by=actor.user,
        purpose=text,
        period_start=checked.period_start,
        period_end=checked.period_end,
        channel_ids=list(checked.channels),
        due_at=due_after(now, days),
    )
    audit_record(
        actor=actor,
        action="data_request.create",
        target=request,
        to_state=request.state,
        comment=text,
        extra={"dataset": dataset.pk, "answer_days": days, **_scope_extra(checked)},
    )
    _tell_stewards(
        request,
        title=_("Data request from %(bureau)s: %(dataset)s, answer by %(due)s")
        % {
            "bureau": actor.bureau.name_zh,
            "dataset": dataset.title_zh,
            "due": format_time(request.due_at, label=True),
        },
        body=text,
        level=Notification.Level.INFO,
        people=selectors.stewards(bureau=dataset.bureau_id),
    )
    return request


@transaction.atomic
def request_approve(
    *,
    actor: Actor,
    request: DataRequest,
    scope: Scope | None = None,
    expires: dt.datetime | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> DataRequest:
    """pending → approved, and a grant to the asking bureau of the scope asked for or of a
    part of it (``scope``), until ``expires`` (none: until revoked). 403, 409, then 400
    naming ``scope``'s field or ``expires``."""
    now = now or timezone.now()
    note = _text(comment, name="reason", needed=False, limit=REASON_MAX)
    decided: dict[str, Scope] = {}

    def prepare(locked: DataRequest) -> dict[str, Any]:
        decided["scope"] = _narrowed(locked, scope)
        if expires is not None and not (now < expires <= now + EXPIRY_MAX):
            raise InvalidInput(_("expires must be in the future, within five years."), field="expires")
        return {"decided_by": actor.user, "decided_at": now}

    locked = transition(
        request,
        "approve",
        actor,
        note,
        workflow=request_workflow.WORKFLOW,
        prepare=prepare,
        extra=lambda _row: {
            **_scope_extra(decided["scope"]),
            "expires": expires.isoformat() if expires else None,
        },
    )
    grant = Grant.objects.create(
        bureau_id=locked.bureau_id,
        dataset_id=locked.dataset_id,
        grantee_id=locked.requester_bureau_id,
        request=locked,
        expires_at=expires,
        granted_by=actor.user,
        **_bounds(decided["scope"]),
    )
    audit_record(
        actor=actor,
        action="grant.create",
        target=grant,
        comment=note,
        extra={
            "request": locked.pk,
            "dataset": locked.dataset_id,
            "grantee": locked.requester_bureau.code,
            "expires": expires.isoformat() if expires else None,
            **_scope_extra(decided["scope"]),
        },
    )
    return locked


@transaction.atomic
def request_refuse(
    *, actor: Actor, request: DataRequest, reason: Any, now: dt.datetime | None = None
) -> DataRequest:
    """pending → refused, with a reason (400 naming ``reason`` without one)."""
    now = now or timezone.now()

    def prepare(locked: DataRequest) -> dict[str, Any]:
        text = _text(reason, name="reason", needed=True, limit=REASON_MAX)
        return {"reason": text, "decided_by": actor.user, "decided_at": now}

    return transition(
        request,
        "refuse",
        actor,
        reason if isinstance(reason, str) else "",
        workflow=request_workflow.WORKFLOW,
        prepare=prepare,
    )


@transaction.atomic
def request_revoke(
    *, actor: Actor, request: DataRequest, reason: Any = "", now: dt.datetime | None = None
) -> DataRequest:
    """approved → revoked: its grant stops opening data at once."""
    now = now or timezone.now()

    def prepare(locked: DataRequest) -> dict[str, Any]:
        return {"reason": _text(reason, name="reason", needed=False, limit=REASON_MAX)}

    locked = transition(
        request,
        "revoke",
        actor,
        reason if isinstance(reason, str) else "",
        workflow=request_workflow.WORKFLOW,
        prepare=prepare,
    )
    grant = Grant.objects.select_for_update().filter(request=locked, revoked_at__isnull=True).first()
    if grant is not None:
        grant_revoke(actor=actor, grant=grant, comment=locked.reason, now=now)
    return locked


def grant_revoke(*, actor: Actor | None, grant: Grant, comment: str = "", now: dt.datetime) -> Grant:
    """End a grant now (the caller holds it locked); audited."""
    grant.revoked_at = now
    grant.revoked_by = actor.user if actor is not None and actor.user.pk else None
    grant.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(
        actor=actor,
        action="grant.revoke",
        target=grant,
        comment=comment,
        extra={"dataset": grant.dataset_id, "grantee": grant.grantee_id},
    )
    return grant


def request_transition(
    *,
    actor: Actor,
    request: DataRequest,
    action: str,
    scope: Scope | None = None,
    expires: dt.datetime | None = None,
    reason: Any = "",
    now: dt.datetime | None = None,
) -> DataRequest:
    """The API's one door: ``action`` is approve, refuse or revoke (400 otherwise)."""
    if action == "approve":
        return request_approve(
            actor=actor, request=request, scope=scope, expires=expires, comment=reason, now=now
        )
    if scope is not None or expires is not None:
        field_name = "scope" if scope is not None else "expires"
        raise InvalidInput(
            _("%(field)s is given with approve only.") % {"field": field_name}, field=field_name
        )
    if action == "refuse":
        return request_refuse(actor=actor, request=request, reason=reason, now=now)
    if action == "revoke":
        return request_revoke(actor=actor, request=request, reason=reason, now=now)
    raise InvalidInput(_("action must be approve, refuse or revoke."), field="action")


# --- the sweeps (beat) --------------------------------------------------------------------


def requests_escalate(*, now: dt.datetime | None = None) -> list[int]:
    """Escalate every pending request past its deadline, once: its owner's bureau admins
    are told (warning), the asking person learns it is late, the escalation is audited."""
    now = now or timezone.now()
    escalated = []
    for pk in selectors.requests_to_escalate_for_worker(now=now):
        with transaction.atomic():
            request = (
                DataRequest.objects.select_for_update(of=("self",))
                .select_related("dataset", "bureau", "requester_bureau", "requested_by")
                .filter(pk=pk, state=DataRequest.State.PENDING, escalated_at__isnull=True, due_at__lt=now)
                .first()
            )
            if request is None:  # answered or escalated since it was listed
                continue
            request.escalated_at = now
            request.save(update_fields=["escalated_at", "updated_at"])
            audit_record(
                actor=None,
                action="data_request.escalate",
                target=request,
                extra={"due_at": request.due_at.isoformat()},
            )
            words = {
                "bureau": request.requester_bureau.name_zh,
                "dataset": request.dataset.title_zh,
                "due": format_time(request.due_at, label=True),
            }
            _tell_stewards(
                request,
                title=_("Overdue data request from %(bureau)s: %(dataset)s (was due %(due)s)") % words,
                body=request.purpose,
                level=Notification.Level.WARNING,
                people=selectors.bureau_admins(bureau=request.bureau_id),
            )
            if request.requested_by is not None:
                notify_user(
                    user=request.requested_by,
                    title=_("Your request for %(dataset)s is overdue; the bureau's admins were told") % words,
                    url=request.get_absolute_url(),
                    level=Notification.Level.INFO,
                    kind=request_workflow.WORKFLOW.name,
                    bureau=request.requester_bureau,
                )
            escalated.append(pk)
    return escalated


def requests_expire(*, now: dt.datetime | None = None) -> list[int]:
    """approved → expired for every request whose grant's expiry has passed (the grant
    already stopped opening data then; this makes the request say so and tells the person)."""
    now = now or timezone.now()
    return transition_each(
        selectors.requests_to_expire_for_worker(now=now),
        "expire",
        workflow=request_workflow.WORKFLOW,
        extra={"at": now.isoformat()},
    )
