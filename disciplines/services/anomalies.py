"""An anomaly's report: creation (by an expert, a product or a zero-report), files, the
review of the report (assign, reassign, return, resubmit) and its withdrawal; and
``TRANSITION_SERVICES``, the service of every transition of ``anomaly_workflow.WORKFLOW``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines import permissions, selectors
from disciplines.anomaly_channel_selectors import anomaly_channel_for_input
from disciplines.models import (
    Anomaly,
    Attachment,
    Discipline,
    ReportingUnit,
)
from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import Notification, User
from portal.services import audit_record, broadcast_on_commit
from portal.workflow import transition

from . import live_group
from .anomaly_workflow import (
    WORKFLOW,
    State,
    _comment_required,
    _event,
    _lock,
    _notify_office,
    announce_moved,
)
from .assessment import anomaly_assess, anomaly_close, anomaly_return_assessment, anomaly_track
from .attachments import store_files, validate_files
from .verification import anomaly_return_verification, anomaly_submit_verification

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.gis.geos import Point
    from django.core.files.uploadedfile import UploadedFile

    from observations.models import Channel
    from portal.tenancy import Actor
    from portal.uploads import CheckedUpload


def _validate_onset(onset_at: datetime | None, *, field: str = "onset_at") -> datetime:
    if onset_at is None:
        raise InvalidInput(_("The onset time is required."), field=field)
    if timezone.is_naive(onset_at):
        raise InvalidInput(_("The onset time needs a time zone."), field=field)
    if onset_at > timezone.now() + timedelta(minutes=5):
        raise InvalidInput(_("The onset time is in the future."), field=field)
    return onset_at


def anomaly_create_record(
    *,
    actor: Actor,
    source: str,
    discipline: Discipline,
    observation_item: str,
    onset_at: datetime,
    description: str,
    unit: ReportingUnit | None = None,
    station: str = "",
    location: Point | None = None,
    product_reference: str = "",
    files: list[CheckedUpload] | None = None,
    channel: Channel | None = None,
) -> Anomaly:
    """Store a new anomaly in state reported (callers have checked the person may report it).

    ``channel`` (the series it is seen in) must be the reporter's bureau's; it names the station
    and places the anomaly when the report does not."""
    if actor.bureau_id is None:  # only people of a bureau report anomalies (the callers' checks)
        raise PermissionDenied()
    if channel is not None and channel.bureau_id != actor.bureau_id:
        raise InvalidInput(_("Choose an active channel of your bureau."), field="channel")
    if channel is not None:
        station = station or f"{channel.station.code} {channel.station.name_zh}"
        location = location if location is not None or unit is not None else channel.station.location
    observation_item = (observation_item or "").strip()
    description = (description or "").strip()
    if not observation_item:
        raise InvalidInput(_("The observation item is required."), field="observation_item")
    if not description:
        raise InvalidInput(_("Describe the anomaly."), field="description")
    _validate_onset(onset_at)
    if location is not None and not (-180 <= location.x <= 180 and -90 <= location.y <= 90):
        raise InvalidInput(_("The location is not a longitude and latitude."), field="location")
    anomaly = Anomaly.objects.create(
        bureau_id=actor.bureau_id,
        source=source,
        # zero-reports carry macroscopic observations; products and experts work on instrument series
        kind="macro" if source == Anomaly.Source.ZERO_REPORT else "instrumental",
        unit=unit,
        station=station or (unit.name if unit else ""),
        observation_item=observation_item[:60],
        discipline=discipline,
        onset_at=onset_at,
        description=description,
        location=location if location is not None else (unit.location if unit else None),
        state=State.REPORTED,
        reported_by=actor.user,
        product_reference=product_reference,
        channel=channel,
    )
    if files:
        store_files(actor=actor, anomaly=anomaly, files=files)
    audit_record(
        actor=actor,
        action="anomaly.report",
        target=anomaly,
        to_state=State.REPORTED,
        extra={"source": source},
    )
    broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "report"))
    announce_moved(anomaly, "report")
    _notify_office(
        anomaly, _("New anomaly to verify"), exclude=[actor.user.pk], level=Notification.Level.WARNING
    )
    return anomaly


@transaction.atomic
def anomaly_report(
    *,
    actor: Actor,
    discipline: Discipline,
    observation_item: str,
    onset_at: datetime,
    description: str,
    source: str = Anomaly.Source.EXPERT,
    station: str = "",
    unit: ReportingUnit | None = None,
    location: Point | None = None,
    product_reference: str = "",
    files: Iterable[UploadedFile] = (),
    channel_id: int | None = None,
) -> Anomaly:
    """An anomaly found by an expert or by an automatic product, optionally seen in the channel
    ``channel_id`` (an active channel of the reporter's bureau; otherwise 400 naming ``channel``)."""
    if source not in (Anomaly.Source.EXPERT, Anomaly.Source.PRODUCT):
        raise InvalidInput(_("Anomalies from zero-reports come in through the zero-report."), field="source")
    if not permissions.can_report_anomaly(actor, discipline):
        raise PermissionDenied(_("Only an expert of the discipline or a forecaster reports anomalies here."))
    if unit is not None and unit.bureau_id != actor.bureau_id:
        raise NotFound()
    channel = (
        anomaly_channel_for_input(actor=actor, channel_id=channel_id) if channel_id is not None else None
    )
    if not station and unit is None and channel is None:
        raise InvalidInput(_("Name the station or choose a reporting unit."), field="station")
    checked = validate_files(files)
    return anomaly_create_record(
        actor=actor,
        source=source,
        discipline=discipline,
        observation_item=observation_item,
        onset_at=onset_at,
        description=description,
        unit=unit,
        station=station,
        location=location,
        product_reference=product_reference,
        files=checked,
        channel=channel,
    )


@transaction.atomic
def anomaly_attach(
    *, actor: Actor, anomaly: Anomaly, files: Iterable[UploadedFile], purpose: str, caption: str = ""
) -> list[Attachment]:
    """Add photos or files: the reporter while it awaits review, the verifier while verifying."""
    anomaly = _lock(actor, anomaly)
    verifier = permissions.can_verify_anomaly(actor, anomaly)
    reporter = purpose != Attachment.Purpose.FIGURE and permissions.can_resubmit_anomaly(actor, anomaly)
    # permission first (403: neither the reporter nor the verifier), then state (409)
    if not (verifier or reporter):
        raise PermissionDenied(_("Only the reporter or the assigned verifier adds files to this anomaly."))
    in_time = (verifier and anomaly.state == State.VERIFYING) or (
        reporter and anomaly.state in (State.REPORTED, State.RETURNED)
    )
    if not in_time:
        raise InvalidTransition(_("You cannot add files to this anomaly in its current state."))
    rows = store_files(
        actor=actor, anomaly=anomaly, files=validate_files(files), purpose=purpose, caption=caption
    )
    audit_record(
        actor=actor, action="anomaly.attach", target=anomaly, extra={"files": [r.name for r in rows]}
    )
    return rows


@transaction.atomic
def anomaly_assign(
    *, actor: Actor, anomaly: Anomaly | int, assignee: User, due_at: datetime | None = None, comment: str = ""
) -> Anomaly:
    """reported → verifying: a verifier (an expert of the discipline) with a deadline; the verifier is told."""
    audit: dict[str, Any] = {}
    return transition(
        anomaly,
        "assign",
        actor,
        comment,
        workflow=WORKFLOW,
        prepare=lambda locked: _hand_over(locked, assignee=assignee, due_at=due_at, audit=audit),
        extra=audit,
    )


@transaction.atomic
def anomaly_reassign(
    *, actor: Actor, anomaly: Anomaly | int, assignee: User, due_at: datetime | None = None, comment: str = ""
) -> Anomaly:
    """verifying → verifying: overdue or stuck work goes to another verifier, with a new deadline."""
    audit: dict[str, Any] = {}

    def prepare(locked: Anomaly) -> dict[str, Any]:
        if assignee.pk == locked.assignee_id:
            raise InvalidInput(
                _("%(name)s already verifies this anomaly.") % {"name": assignee.label}, field="assignee"
            )
        return _hand_over(locked, assignee=assignee, due_at=due_at, audit=audit)

    return transition(anomaly, "reassign", actor, comment, workflow=WORKFLOW, prepare=prepare, extra=audit)


def _hand_over(
    anomaly: Anomaly, *, assignee: User | None, due_at: datetime | None, audit: dict[str, Any]
) -> dict[str, Any]:
    if assignee is None or not assignee.is_active:
        raise InvalidInput(_("Choose an active expert of the discipline."), field="assignee")
    if not selectors.is_discipline_expert_user(
        user=assignee, bureau=anomaly.bureau_id, discipline=anomaly.discipline_id
    ):
        raise InvalidInput(
            _("%(name)s is not an expert of %(discipline)s in this bureau.")
            % {"name": assignee.label, "discipline": anomaly.discipline.name_zh},
            field="assignee",
        )
    now = timezone.now()
    if due_at is None:
        hours = selectors.anomaly_settings_for(bureau=anomaly.bureau_id).verification_hours
        due_at = now + timedelta(hours=hours)
    elif due_at <= now:
        raise InvalidInput(_("The deadline must be in the future."), field="due_at")
    previous = anomaly.assignee.username if anomaly.assignee is not None else None
    audit.update({"assignee": assignee.username, "previous": previous, "due_at": due_at.isoformat()})
    return {"assignee": assignee, "assigned_at": now, "verify_due_at": due_at, "overdue_reminded_at": None}


@transaction.atomic
def anomaly_return_report(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """reported → returned: the report needs revision by the person who made it (told, with the comment)."""
    return transition(
        anomaly,
        "return_report",
        actor,
        (comment or "").strip(),
        workflow=WORKFLOW,
        prepare=_comment_required(comment),
    )


@transaction.atomic
def anomaly_resubmit(
    *,
    actor: Actor,
    anomaly: Anomaly | int,
    description: str | None = None,
    observation_item: str | None = None,
    onset_at: datetime | None = None,
    comment: str = "",
) -> Anomaly:
    """returned → reported, with the revised description; the discipline office is told."""
    return transition(
        anomaly,
        "resubmit",
        actor,
        comment,
        workflow=WORKFLOW,
        prepare=lambda locked: _revise_fields(
            locked, description=description, observation_item=observation_item, onset_at=onset_at
        ),
    )


def _revise_fields(
    anomaly: Anomaly, *, description: str | None, observation_item: str | None, onset_at: datetime | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if description is not None:
        if not description.strip():
            raise InvalidInput(_("Describe the anomaly."), field="description")
        changes["description"] = description.strip()
    if observation_item is not None:
        if not observation_item.strip():
            raise InvalidInput(_("The observation item is required."), field="observation_item")
        changes["observation_item"] = observation_item.strip()[:60]
    if onset_at is not None:
        changes["onset_at"] = _validate_onset(onset_at)
    return changes


def anomaly_revise_from_report(
    *, actor: Actor, anomaly: Anomaly, description: str, observation_item: str, onset_at: datetime
) -> Anomaly:
    """A zero-report resubmitted with its anomaly changed: still awaiting review, so edit in place.

    Called inside the zero-report's transaction with the anomaly locked by ``lock_for_report``.
    """
    if anomaly.state == State.RETURNED:
        return anomaly_resubmit(
            actor=actor,
            anomaly=anomaly,
            description=description,
            observation_item=observation_item,
            onset_at=onset_at,
        )
    changes = _revise_fields(
        anomaly, description=description, observation_item=observation_item, onset_at=onset_at
    )
    for name, value in changes.items():
        setattr(anomaly, name, value)
    anomaly.save(update_fields=[*changes, "updated_at"])
    audit_record(actor=actor, action="anomaly.revise", target=anomaly, extra={"fields": list(changes)})
    broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "revise"))
    return anomaly


def lock_for_report(actor: Actor, anomaly_id: int) -> Anomaly:
    return _lock(actor, anomaly_id)


@transaction.atomic
def anomaly_withdraw(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """reported | returned → closed: the reporter takes the report back before review."""
    return transition(anomaly, "withdraw", actor, comment, workflow=WORKFLOW, closed_at=timezone.now())


TRANSITION_SERVICES: dict[str, Callable[..., Anomaly]] = {
    "assign": anomaly_assign,
    "reassign": anomaly_reassign,
    "return_report": anomaly_return_report,
    "resubmit": anomaly_resubmit,
    "withdraw": anomaly_withdraw,
    "submit_verification": anomaly_submit_verification,
    "return_verification": anomaly_return_verification,
    "assess": anomaly_assess,
    "return_assessment": anomaly_return_assessment,
    "track": anomaly_track,
    "close": anomaly_close,
}
