"""The anomaly lifecycle: one function per transition.

    reported ──assign──▶ verifying (──reassign──▶ verifying) ──submit_verification──▶ verified ──assess──▶ assessed ──track──▶ tracking
       │  ▲                  ▲                                 │  ▲                 │   │                  │
 return_report│resubmit      └──────return_verification────────┘  └─return_assessment┘   └──close──▶ closed ◀┘
       ▼  │
     returned ──withdraw──▶ closed   (reported ──withdraw──▶ closed as well)

Each transition locks the row (``select_for_update``), checks the person's role
and then the state (403 before 409), saves, writes the audit trail (who, when, from, to, comment) and
queues notifications and live events on commit. A refused move raises
``InvalidTransition`` (409) or ``PermissionDenied`` (403) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import Notification, User
from portal.services import audit_record, broadcast_on_commit, notify_user
from portal.tenancy import Actor
from portal.uploads import CheckedUpload

from .. import permissions, selectors
from ..models import (
    Anomaly,
    AssessmentRating,
    Attachment,
    CheckResult,
    Discipline,
    InterferenceFactor,
    ReportingUnit,
    VerificationReport,
)
from . import live_group
from .attachments import store_files, validate_files

State = Anomaly.State

# action -> (states it may start from, state it ends in)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({State.REPORTED}), State.VERIFYING),
    "reassign": (frozenset({State.VERIFYING}), State.VERIFYING),
    "return_report": (frozenset({State.REPORTED}), State.RETURNED),
    "resubmit": (frozenset({State.RETURNED}), State.REPORTED),
    "withdraw": (frozenset({State.REPORTED, State.RETURNED}), State.CLOSED),
    "submit_verification": (frozenset({State.VERIFYING}), State.VERIFIED),
    "return_verification": (frozenset({State.VERIFIED}), State.VERIFYING),
    "assess": (frozenset({State.VERIFIED}), State.ASSESSED),
    "return_assessment": (frozenset({State.ASSESSED}), State.VERIFIED),
    "track": (frozenset({State.ASSESSED}), State.TRACKING),
    "close": (frozenset({State.ASSESSED, State.TRACKING}), State.CLOSED),
}

ACTION_LABELS = {
    "report": gettext_lazy("reported"),
    "assign": gettext_lazy("assigned for verification"),
    "reassign": gettext_lazy("handed to another verifier"),
    "return_report": gettext_lazy("returned to the reporter"),
    "resubmit": gettext_lazy("revised and resubmitted"),
    "withdraw": gettext_lazy("withdrawn"),
    "submit_verification": gettext_lazy("verification report submitted"),
    "return_verification": gettext_lazy("verification returned for revision"),
    "assess": gettext_lazy("assessed by the discipline group"),
    "return_assessment": gettext_lazy("assessment reopened"),
    "track": gettext_lazy("kept in tracking"),
    "close": gettext_lazy("closed"),
}

# What the buttons say (imperative), where ACTION_LABELS say what happened.
ACTION_BUTTONS = {
    "assign": gettext_lazy("Assign"),
    "reassign": gettext_lazy("Reassign"),
    "return_report": gettext_lazy("Return to the reporter"),
    "resubmit": gettext_lazy("Resubmit"),
    "withdraw": gettext_lazy("Withdraw"),
    "submit_verification": gettext_lazy("Submit the verification report"),
    "return_verification": gettext_lazy("Return the verification for revision"),
    "assess": gettext_lazy("Record the assessment"),
    "return_assessment": gettext_lazy("Reopen the assessment"),
    "track": gettext_lazy("Keep tracking"),
    "close": pgettext_lazy("anomaly", "Close"),
}

PERMISSIONS: dict[str, Callable[[Actor | None, Anomaly], bool]] = {
    "assign": permissions.can_assign_anomaly,
    "reassign": permissions.can_assign_anomaly,
    "return_report": permissions.can_return_report,
    "resubmit": permissions.can_resubmit_anomaly,
    "withdraw": permissions.can_withdraw_anomaly,
    "submit_verification": permissions.can_verify_anomaly,
    "return_verification": permissions.can_review_verification,
    "assess": permissions.can_assess_anomaly,
    "return_assessment": permissions.can_decide_anomaly,
    "track": permissions.can_decide_anomaly,
    "close": permissions.can_decide_anomaly,
}


def allowed_actions(actor: Actor | None, anomaly: Anomaly) -> list[str]:
    """The transitions ``actor`` may make now (for pages: which buttons to show)."""
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if anomaly.state in sources and PERMISSIONS[action](actor, anomaly)
    ]


def anomaly_url(anomaly: Anomaly) -> str:
    return reverse("disciplines:anomaly-detail", args=[anomaly.pk])


def _event(anomaly: Anomaly, action: str) -> dict[str, Any]:
    return {
        "kind": "anomaly",
        "action": action,
        "id": anomaly.pk,
        "state": anomaly.state,
        "state_label": str(anomaly.get_state_display()),
        "discipline": anomaly.discipline.code,
        "discipline_name": anomaly.discipline.name_zh,
        "place": anomaly.place,
        "observation_item": anomaly.observation_item,
        "onset_at": anomaly.onset_at.isoformat(),
        "url": anomaly_url(anomaly),
    }


def _notify_office(anomaly: Anomaly, title: str, *, exclude: Iterable[int] = (), level: str = "info") -> None:
    skip = set(exclude)
    for expert in selectors.discipline_experts(bureau=anomaly.bureau_id, discipline=anomaly.discipline_id):
        if expert.pk not in skip:
            notify_user(
                user=expert,
                title=title,
                body=f"{anomaly.place} · {anomaly.observation_item}",
                url=anomaly_url(anomaly),
                level=level,
                kind="anomaly",
                bureau=anomaly.bureau,
            )


def _lock(actor: Actor, anomaly: Anomaly | int) -> Anomaly:
    """The anomaly, locked for this transaction; NotFound when it is not the actor's bureau's."""
    pk = getattr(anomaly, "pk", anomaly)
    try:
        return (
            Anomaly.objects.editable_by(actor)
            .select_for_update(of=("self",))
            .select_related("discipline", "bureau", "unit")
            .get(pk=pk)
        )
    except Anomaly.DoesNotExist:
        raise NotFound() from None


def _begin(actor: Actor, anomaly: Anomaly | int, action: str) -> Anomaly:
    """Lock, then check the role, then the state: the guard every transition starts with.

    Permission before state, so someone without the right learns no more than
    that (403), and someone with it learns why not now (409).
    """
    locked = _lock(actor, anomaly)
    if not PERMISSIONS[action](actor, locked):
        raise PermissionDenied(_("You may not do this: %(action)s.") % {"action": ACTION_LABELS[action]})
    sources, _target = TRANSITIONS[action]
    if locked.state not in sources:
        raise InvalidTransition(
            _("This anomaly is %(state)s; it cannot be %(action)s (only from: %(allowed)s).")
            % {
                "state": locked.get_state_display(),
                "action": ACTION_LABELS[action],
                "allowed": ", ".join(str(State(s).label) for s in sorted(sources)),
            }
        )
    return locked


def _finish(
    actor: Actor,
    anomaly: Anomaly,
    action: str,
    *,
    fields: list[str],
    comment: str = "",
    extra: dict[str, Any] | None = None,
) -> Anomaly:
    from_state = anomaly.state
    anomaly.state = TRANSITIONS[action][1]
    anomaly.save(update_fields=["state", "updated_at", *fields])
    audit_record(
        actor=actor,
        action=f"anomaly.{action}",
        target=anomaly,
        from_state=from_state,
        to_state=anomaly.state,
        comment=comment,
        extra=extra,
    )
    broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, action))
    return anomaly


def _require_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(_("Say what needs to be revised."), field="comment")
    return comment


# --- creation ------------------------------------------------------------------------------


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
) -> Anomaly:
    """Store a new anomaly in state reported (callers have checked the person may report it)."""
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
) -> Anomaly:
    """An anomaly found by an expert or by an automatic product."""
    if source not in (Anomaly.Source.EXPERT, Anomaly.Source.PRODUCT):
        raise InvalidInput(_("Anomalies from zero-reports come in through the zero-report."), field="source")
    if not permissions.can_report_anomaly(actor, discipline):
        raise PermissionDenied(_("Only an expert of the discipline or a forecaster reports anomalies here."))
    if unit is not None and unit.bureau_id != actor.bureau_id:
        raise NotFound()
    if not station and unit is None:
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


# --- review of the report ------------------------------------------------------------------


@transaction.atomic
def anomaly_assign(
    *, actor: Actor, anomaly: Anomaly | int, assignee: User, due_at: datetime | None = None, comment: str = ""
) -> Anomaly:
    """reported → verifying: a verifier (an expert of the discipline) with a deadline."""
    anomaly = _begin(actor, anomaly, "assign")
    return _hand_over(actor, anomaly, "assign", assignee=assignee, due_at=due_at, comment=comment)


@transaction.atomic
def anomaly_reassign(
    *, actor: Actor, anomaly: Anomaly | int, assignee: User, due_at: datetime | None = None, comment: str = ""
) -> Anomaly:
    """verifying → verifying: overdue or stuck work goes to another verifier, with a new deadline."""
    anomaly = _begin(actor, anomaly, "reassign")
    if assignee.pk == anomaly.assignee_id:
        raise InvalidInput(
            _("%(name)s already verifies this anomaly.") % {"name": assignee.label}, field="assignee"
        )
    return _hand_over(actor, anomaly, "reassign", assignee=assignee, due_at=due_at, comment=comment)


def _hand_over(
    actor: Actor,
    anomaly: Anomaly,
    action: str,
    *,
    assignee: User | None,
    due_at: datetime | None,
    comment: str,
) -> Anomaly:
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
    previous = anomaly.assignee.username if anomaly.assignee_id else None
    anomaly.assignee, anomaly.assigned_at, anomaly.verify_due_at = assignee, now, due_at
    anomaly.overdue_reminded_at = None
    _finish(
        actor,
        anomaly,
        action,
        fields=["assignee", "assigned_at", "verify_due_at", "overdue_reminded_at"],
        comment=comment,
        extra={"assignee": assignee.username, "previous": previous, "due_at": due_at.isoformat()},
    )
    notify_user(
        user=assignee,
        title=_("Anomaly to verify by %(due)s")
        % {"due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")},
        body=f"{anomaly.place} · {anomaly.observation_item}",
        url=anomaly_url(anomaly),
        level=Notification.Level.WARNING,
        kind="anomaly",
        bureau=anomaly.bureau,
    )
    return anomaly


@transaction.atomic
def anomaly_return_report(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """reported → returned: the report needs revision by the person who made it."""
    anomaly = _begin(actor, anomaly, "return_report")
    comment = _require_comment(comment)
    _finish(actor, anomaly, "return_report", fields=[], comment=comment)
    notify_user(
        user=anomaly.reported_by,
        title=_("Your anomaly report was returned for revision"),
        body=comment,
        url=anomaly_url(anomaly),
        kind="anomaly",
        bureau=anomaly.bureau,
    )
    return anomaly


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
    """returned → reported, with the revised description."""
    anomaly = _begin(actor, anomaly, "resubmit")
    return _resubmit_locked(
        actor,
        anomaly,
        description=description,
        observation_item=observation_item,
        onset_at=onset_at,
        comment=comment,
    )


def _resubmit_locked(
    actor: Actor,
    anomaly: Anomaly,
    *,
    description: str | None,
    observation_item: str | None,
    onset_at: datetime | None,
    comment: str,
) -> Anomaly:
    fields = _revise_fields(
        anomaly, description=description, observation_item=observation_item, onset_at=onset_at
    )
    _finish(actor, anomaly, "resubmit", fields=fields, comment=comment)
    _notify_office(anomaly, _("Revised anomaly report to review"), exclude=[actor.user.pk])
    return anomaly


def _revise_fields(
    anomaly: Anomaly, *, description: str | None, observation_item: str | None, onset_at: datetime | None
) -> list[str]:
    fields = []
    if description is not None:
        if not description.strip():
            raise InvalidInput(_("Describe the anomaly."), field="description")
        anomaly.description = description.strip()
        fields.append("description")
    if observation_item is not None:
        if not observation_item.strip():
            raise InvalidInput(_("The observation item is required."), field="observation_item")
        anomaly.observation_item = observation_item.strip()[:60]
        fields.append("observation_item")
    if onset_at is not None:
        anomaly.onset_at = _validate_onset(onset_at)
        fields.append("onset_at")
    return fields


def anomaly_revise_from_report(
    *, actor: Actor, anomaly: Anomaly, description: str, observation_item: str, onset_at: datetime
) -> Anomaly:
    """A zero-report resubmitted with its anomaly changed: still awaiting review, so edit in place.

    Called inside the zero-report's transaction with the anomaly locked by ``lock_for_report``.
    """
    if anomaly.state == State.RETURNED:
        return _resubmit_locked(
            actor,
            anomaly,
            description=description,
            observation_item=observation_item,
            onset_at=onset_at,
            comment="",
        )
    fields = _revise_fields(
        anomaly, description=description, observation_item=observation_item, onset_at=onset_at
    )
    anomaly.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=actor, action="anomaly.revise", target=anomaly, extra={"fields": fields})
    broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "revise"))
    return anomaly


def lock_for_report(actor: Actor, anomaly_id: int) -> Anomaly:
    return _lock(actor, anomaly_id)


@transaction.atomic
def anomaly_withdraw(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """reported | returned → closed: the reporter takes the report back before review."""
    anomaly = _begin(actor, anomaly, "withdraw")
    anomaly.closed_at = timezone.now()
    return _finish(actor, anomaly, "withdraw", fields=["closed_at"], comment=comment)


# --- verification --------------------------------------------------------------------------

VERIFICATION_FIELDS = (
    "observation",
    "instrument",
    "onset_at",
    "shape",
    "amplitude",
    "analysis",
    "conclusion",
)


def _clean_checks(checks: Any) -> dict[str, dict[str, str]]:
    if checks is None:
        return {}
    if not isinstance(checks, dict):
        raise InvalidInput(_("The interference checks must be an object keyed by factor."), field="checks")
    cleaned: dict[str, dict[str, str]] = {}
    for key, value in checks.items():
        if key not in InterferenceFactor.values:
            raise InvalidInput(
                _("Unknown interference factor %(key)s; factors are %(all)s.")
                % {"key": key, "all": ", ".join(InterferenceFactor.values)},
                field="checks",
            )
        value = value or {}
        result = (value.get("result") or "").strip()
        if result and result not in CheckResult.values:
            raise InvalidInput(
                _("checks.%(key)s.result must be one of %(all)s.")
                % {"key": key, "all": ", ".join(CheckResult.values)},
                field="checks",
            )
        cleaned[key] = {"result": result, "finding": str(value.get("finding") or "").strip()[:2000]}
    return cleaned


@transaction.atomic
def verification_save(*, actor: Actor, anomaly: Anomaly | int, **data: Any) -> VerificationReport:
    """The verifier writes (and rewrites) the verification report while verifying."""
    anomaly = _lock(actor, anomaly)
    if not permissions.can_verify_anomaly(actor, anomaly):  # permission first: 403 before 409
        raise PermissionDenied(_("Only the assigned verifier writes the verification report."))
    if anomaly.state != State.VERIFYING:
        raise InvalidTransition(
            _("The verification report can only be edited while the anomaly is being verified.")
        )
    report = VerificationReport.objects.filter(anomaly=anomaly).first() or VerificationReport(
        bureau_id=anomaly.bureau_id, anomaly=anomaly, verifier=actor.user
    )
    for name in VERIFICATION_FIELDS:
        if name in data:
            value = data[name]
            if name == "conclusion" and value and value not in VerificationReport.Conclusion.values:
                raise InvalidInput(
                    _("The conclusion must be one of %(all)s.")
                    % {"all": ", ".join(VerificationReport.Conclusion.values)},
                    field="conclusion",
                )
            setattr(report, name, value if value is not None else ("" if name != "onset_at" else None))
    if "checks" in data:
        merged = dict(report.checks or {})
        merged.update(_clean_checks(data["checks"]))
        report.checks = merged
    report.verifier = actor.user
    report.save()
    audit_record(actor=actor, action="verification.save", target=anomaly, extra={"fields": sorted(data)})
    return report


def _require_complete(report: VerificationReport | None) -> None:
    if report is None:
        raise InvalidInput(_("Write the verification report first."), field="verification")
    labels = {
        "observation": _("observation"),
        "instrument": _("instrument"),
        "onset_at": _("onset time"),
        "shape": _("shape"),
        "amplitude": _("amplitude"),
        "analysis": _("analysis"),
        "conclusion": _("conclusion"),
    }
    for name, label in labels.items():
        if not getattr(report, name):
            raise InvalidInput(_("The verification report lacks: %(what)s.") % {"what": label}, field=name)
    for factor in InterferenceFactor:
        if not (report.checks.get(factor.value) or {}).get("result"):
            raise InvalidInput(
                _("The interference check '%(factor)s' has no result.") % {"factor": factor.label},
                field="checks",
            )


@transaction.atomic
def anomaly_submit_verification(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """verifying → verified: the complete verification report goes to the discipline group."""
    anomaly = _begin(actor, anomaly, "submit_verification")
    report = VerificationReport.objects.select_for_update().filter(anomaly=anomaly).first()
    _require_complete(report)
    now = timezone.now()
    assert report is not None  # _require_complete raised otherwise
    report.submitted_at = now
    report.save(update_fields=["submitted_at", "updated_at"])
    hours = selectors.anomaly_settings_for(bureau=anomaly.bureau_id).assessment_hours
    anomaly.verified_at, anomaly.assess_due_at = now, now + timedelta(hours=hours)
    _finish(
        actor,
        anomaly,
        "submit_verification",
        fields=["verified_at", "assess_due_at"],
        comment=comment,
        extra={"conclusion": report.conclusion},
    )
    _notify_office(anomaly, _("Verified anomaly to assess"), exclude=[actor.user.pk])
    return anomaly


@transaction.atomic
def anomaly_return_verification(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """verified → verifying: the verification report needs revision; the verifier gets a new deadline."""
    anomaly = _begin(actor, anomaly, "return_verification")
    comment = _require_comment(comment)
    hours = selectors.anomaly_settings_for(bureau=anomaly.bureau_id).verification_hours
    anomaly.verify_due_at = timezone.now() + timedelta(hours=hours)
    anomaly.overdue_reminded_at = None
    _finish(
        actor,
        anomaly,
        "return_verification",
        fields=["verify_due_at", "overdue_reminded_at"],
        comment=comment,
    )
    if anomaly.assignee_id:
        notify_user(
            user=anomaly.assignee,
            title=_("Verification report returned for revision"),
            body=comment,
            url=anomaly_url(anomaly),
            level=Notification.Level.WARNING,
            kind="anomaly",
            bureau=anomaly.bureau,
        )
    return anomaly


# --- assessment ----------------------------------------------------------------------------


@transaction.atomic
def rating_save(
    *,
    actor: Actor,
    anomaly: Anomaly | int,
    credibility: str,
    relation: str,
    recommendation: str,
    comment: str = "",
) -> AssessmentRating:
    """An expert's line on the assessment form; saving again replaces the expert's line."""
    anomaly = _lock(actor, anomaly)
    if not permissions.can_rate_anomaly(actor, anomaly):  # permission first: 403 before 409
        raise PermissionDenied(_("Only experts of the discipline rate this anomaly."))
    if anomaly.state != State.VERIFIED:
        raise InvalidTransition(_("Ratings are given while the verified anomaly awaits assessment."))
    for name, value, choices in (
        ("credibility", credibility, AssessmentRating.Credibility),
        ("relation", relation, AssessmentRating.Relation),
        ("recommendation", recommendation, Anomaly.Decision),
    ):
        if value not in choices.values:
            raise InvalidInput(
                _("%(field)s must be one of %(all)s.") % {"field": name, "all": ", ".join(choices.values)},
                field=name,
            )
    rating, _created = AssessmentRating.objects.update_or_create(
        anomaly=anomaly,
        expert=actor.user,
        defaults={
            "bureau_id": anomaly.bureau_id,
            "credibility": credibility,
            "relation": relation,
            "recommendation": recommendation,
            "comment": (comment or "").strip(),
        },
    )
    audit_record(
        actor=actor,
        action="assessment.rate",
        target=anomaly,
        comment=rating.comment,
        extra={"credibility": credibility, "relation": relation, "recommendation": recommendation},
    )
    broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "rate"))
    return rating


def rating_summary(ratings: Iterable[AssessmentRating]) -> dict[str, Any]:
    """Counts of credibility and recommendation, and the majority recommendation (ties: keep tracking)."""
    ratings = list(ratings)
    credibility = dict.fromkeys(AssessmentRating.Credibility.values, 0)
    recommendation = dict.fromkeys(Anomaly.Decision.values, 0)
    for rating in ratings:
        credibility[rating.credibility] += 1
        recommendation[rating.recommendation] += 1
    majority = (
        Anomaly.Decision.CLOSE
        if recommendation[Anomaly.Decision.CLOSE] > recommendation[Anomaly.Decision.TRACK]
        else Anomaly.Decision.TRACK
    )
    return {
        "n": len(ratings),
        "credibility": credibility,
        "recommendation": recommendation,
        "majority": majority,
    }


@transaction.atomic
def anomaly_assess(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """verified → assessed: the discipline group has rated it (at least one rating)."""
    anomaly = _begin(actor, anomaly, "assess")
    ratings = list(AssessmentRating.objects.filter(anomaly=anomaly))
    if not ratings:
        raise InvalidInput(_("No expert has rated this anomaly yet."), field="ratings")
    anomaly.assessed_at = timezone.now()
    summary = rating_summary(ratings)
    return _finish(actor, anomaly, "assess", fields=["assessed_at"], comment=comment, extra=summary)


@transaction.atomic
def anomaly_return_assessment(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """assessed → verified: the group reopens its assessment before deciding."""
    anomaly = _begin(actor, anomaly, "return_assessment")
    comment = _require_comment(comment)
    anomaly.assessed_at = None
    return _finish(actor, anomaly, "return_assessment", fields=["assessed_at"], comment=comment)


def _decide(actor: Actor, anomaly: Anomaly, action: str, decision: str, comment: str) -> Anomaly:
    fields = []
    if anomaly.state == State.ASSESSED:
        anomaly.decision, anomaly.decision_comment = decision, (comment or "").strip()
        fields += ["decision", "decision_comment"]
    if action == "close":
        anomaly.closed_at = timezone.now()
        fields.append("closed_at")
    _finish(actor, anomaly, action, fields=fields, comment=comment)
    if anomaly.reported_by_id != actor.user.pk:
        notify_user(
            user=anomaly.reported_by,
            title=_("Anomaly %(action)s") % {"action": ACTION_LABELS[action]},
            body=f"{anomaly.place} · {anomaly.observation_item}",
            url=anomaly_url(anomaly),
            kind="anomaly",
            bureau=anomaly.bureau,
        )
    return anomaly


@transaction.atomic
def anomaly_track(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """assessed → tracking: the group's decision to keep watching it."""
    anomaly = _begin(actor, anomaly, "track")
    return _decide(actor, anomaly, "track", Anomaly.Decision.TRACK, comment)


@transaction.atomic
def anomaly_close(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """assessed | tracking → closed: the group's decision, or the end of tracking."""
    anomaly = _begin(actor, anomaly, "close")
    return _decide(actor, anomaly, "close", Anomaly.Decision.CLOSE, comment)


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


# --- reminders -----------------------------------------------------------------------------


def anomalies_remind_overdue(*, now: datetime | None = None) -> int:
    """Remind verifiers (and their discipline office) once per deadline of overdue verifications."""
    now = now or timezone.now()
    reminded = 0
    for anomaly in selectors.anomalies_overdue(now=now):
        with transaction.atomic():
            # one conditional UPDATE claims the reminder: a second run (or worker) finds nothing to claim
            claimed = Anomaly.objects.filter(
                pk=anomaly.pk, state=State.VERIFYING, verify_due_at__lt=now, overdue_reminded_at__isnull=True
            ).update(overdue_reminded_at=now)
            if not claimed:
                continue
            title = _("Overdue verification: due %(due)s") % {
                "due": timezone.localtime(anomaly.verify_due_at).strftime("%Y-%m-%d %H:%M")
            }
            if anomaly.assignee_id:
                notify_user(
                    user=anomaly.assignee,
                    title=title,
                    body=f"{anomaly.place} · {anomaly.observation_item}",
                    url=anomaly_url(anomaly),
                    level=Notification.Level.URGENT,
                    kind="anomaly.overdue",
                    bureau=anomaly.bureau,
                )
            _notify_office(
                anomaly, title, exclude=[anomaly.assignee_id or 0], level=Notification.Level.WARNING
            )
            audit_record(actor=None, action="anomaly.overdue_reminder", target=anomaly)
            broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "overdue"))
            reminded += 1
    return reminded
