"""The anomaly lifecycle: the table (``WORKFLOW``) and one thin service per transition.

    reported ──assign──▶ verifying (──reassign──▶ verifying) ──submit_verification──▶ verified ──assess──▶ assessed ──track──▶ tracking
       │  ▲                  ▲                                 │  ▲                 │   │                  │
 return_report│resubmit      └──────return_verification────────┘  └─return_assessment┘   └──close──▶ closed ◀┘
       ▼  │
     returned ──withdraw──▶ closed   (reported ──withdraw──▶ closed as well)

Every transition goes through ``portal.workflow.transition``: it locks the row, checks the
person's role and then the state (403 before 409), saves, writes the audit trail (who, when,
from, to, comment), tells whoever must act next and broadcasts the new state on commit. A
refused move raises ``PermissionDenied`` (403) or ``InvalidTransition`` (409) and changes
nothing. The services below only add what a move needs beyond the table: the input's
validation against the locked row and the stamps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from disciplines import permissions, selectors
from disciplines.models import (
    Anomaly,
    AssessmentRating,
    Attachment,
    CheckResult,
    Discipline,
    InterferenceFactor,
    ReportingUnit,
    VerificationReport,
)
from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import Notification, Role, User
from portal.selectors import bureau_role_holders
from portal.services import audit_record, broadcast_on_commit
from portal.workflow import Handoff, Transition, Workflow, register, register_labels, tell, transition

from . import live_group
from .attachments import store_files, validate_files
from .verification_pdf import verification_pdf_requested

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.contrib.gis.geos import Point
    from django.core.files.uploadedfile import UploadedFile

    from portal.tenancy import Actor
    from portal.uploads import CheckedUpload

State = Anomaly.State


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


def _live(anomaly: Anomaly, action: str) -> tuple[str, dict[str, Any]]:
    return live_group(anomaly.bureau_id), _event(anomaly, action)


def _lock(actor: Actor | None, anomaly: Anomaly | int) -> Anomaly:
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


def _summary(anomaly: Anomaly) -> str:
    return f"{anomaly.place} · {anomaly.observation_item}"


def _office(anomaly: Anomaly, *, exclude: Iterable[int | None] = ()) -> list[User]:
    skip = set(exclude)
    experts = selectors.discipline_experts(bureau=anomaly.bureau_id, discipline=anomaly.discipline_id)
    return [expert for expert in experts if expert.pk not in skip]


def _to_office(title: str) -> Callable[[Anomaly, Actor | None, str], list[Handoff]]:
    def handoffs(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
        users = _office(anomaly, exclude=[actor.user.pk if actor else None])
        return [Handoff(users, title=str(title), body=_summary(anomaly))]

    return handoffs


def _to_assignee(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
    due = timezone.localtime(anomaly.verify_due_at).strftime("%Y-%m-%d %H:%M")
    return [
        Handoff(
            [anomaly.assignee],
            title=_("Anomaly to verify by %(due)s") % {"due": due},
            body=_summary(anomaly),
            level=Notification.Level.WARNING,
        )
    ]


def _to_reporter_with_comment(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
    return [
        Handoff([anomaly.reported_by], title=_("Your anomaly report was returned for revision"), body=comment)
    ]


def _to_verifier_with_comment(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
    if not anomaly.assignee_id:
        return []
    return [
        Handoff(
            [anomaly.assignee],
            title=_("Verification report returned for revision"),
            body=comment,
            level=Notification.Level.WARNING,
        )
    ]


def _to_reporter_decided(action: str) -> Callable[[Anomaly, Actor | None, str], list[Handoff]]:
    def handoffs(anomaly: Anomaly, actor: Actor | None, comment: str) -> list[Handoff]:
        if actor is not None and anomaly.reported_by_id == actor.user.pk:
            return []
        title = _("Anomaly %(action)s") % {"action": WORKFLOW.transitions[action].label}
        return [Handoff([anomaly.reported_by], title=title, body=_summary(anomaly))]

    return handoffs


def _step(
    sources: set[str],
    target: str,
    permission: Callable[[Actor | None, Anomaly], bool],
    label: Any,
    button: Any,
    notify: Callable[[Anomaly, Actor | None, str], list[Handoff]] | None = None,
) -> Transition:
    return Transition(frozenset(sources), target, permission, label, button, notify)


# action -> (states it may start from, state it ends in, who may, what it is called, who is told)
WORKFLOW = register(
    Workflow(
        name="anomaly",
        model=Anomaly,
        noun=gettext_lazy("anomaly"),
        lock=_lock,
        url=anomaly_url,
        live=_live,
        transitions={
            "assign": _step(
                {State.REPORTED},
                State.VERIFYING,
                permissions.can_assign_anomaly,
                gettext_lazy("assigned for verification"),
                gettext_lazy("Assign"),
                _to_assignee,
            ),
            "reassign": _step(
                {State.VERIFYING},
                State.VERIFYING,
                permissions.can_assign_anomaly,
                gettext_lazy("handed to another verifier"),
                gettext_lazy("Reassign"),
                _to_assignee,
            ),
            "return_report": _step(
                {State.REPORTED},
                State.RETURNED,
                permissions.can_return_report,
                gettext_lazy("returned to the reporter"),
                gettext_lazy("Return to the reporter"),
                _to_reporter_with_comment,
            ),
            "resubmit": _step(
                {State.RETURNED},
                State.REPORTED,
                permissions.can_resubmit_anomaly,
                gettext_lazy("revised and resubmitted"),
                gettext_lazy("Resubmit"),
                _to_office(gettext_lazy("Revised anomaly report to review")),
            ),
            "withdraw": _step(
                {State.REPORTED, State.RETURNED},
                State.CLOSED,
                permissions.can_withdraw_anomaly,
                gettext_lazy("withdrawn"),
                gettext_lazy("Withdraw"),
            ),
            "submit_verification": _step(
                {State.VERIFYING},
                State.VERIFIED,
                permissions.can_verify_anomaly,
                gettext_lazy("verification report submitted"),
                gettext_lazy("Submit the verification report"),
                _to_office(gettext_lazy("Verified anomaly to assess")),
            ),
            "return_verification": _step(
                {State.VERIFIED},
                State.VERIFYING,
                permissions.can_review_verification,
                gettext_lazy("verification returned for revision"),
                gettext_lazy("Return the verification for revision"),
                _to_verifier_with_comment,
            ),
            "assess": _step(
                {State.VERIFIED},
                State.ASSESSED,
                permissions.can_assess_anomaly,
                gettext_lazy("assessed by the discipline group"),
                gettext_lazy("Record the assessment"),
            ),
            "return_assessment": _step(
                {State.ASSESSED},
                State.VERIFIED,
                permissions.can_decide_anomaly,
                gettext_lazy("assessment reopened"),
                gettext_lazy("Reopen the assessment"),
            ),
            "track": _step(
                {State.ASSESSED},
                State.TRACKING,
                permissions.can_decide_anomaly,
                gettext_lazy("kept in tracking"),
                gettext_lazy("Keep tracking"),
                _to_reporter_decided("track"),
            ),
            "close": _step(
                {State.ASSESSED, State.TRACKING},
                State.CLOSED,
                permissions.can_decide_anomaly,
                gettext_lazy("closed"),
                pgettext_lazy("anomaly", "Close"),
                _to_reporter_decided("close"),
            ),
        },
    )
)
register_labels(
    {
        "anomaly.report": gettext_lazy("reported"),
        "anomaly.revise": gettext_lazy("revised by the reporter"),
        "anomaly.attach": gettext_lazy("files added"),
        "verification.save": gettext_lazy("verification report saved"),
        "assessment.rate": gettext_lazy("rated on the assessment form"),
        "anomaly.overdue_reminder": gettext_lazy("overdue reminder sent"),
    }
)

# Views of the table for the pages and APIs (names they already import).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    action: (step.sources, step.target) for action, step in WORKFLOW.transitions.items()
}
ACTION_LABELS = {"report": gettext_lazy("reported")} | {
    action: step.label for action, step in WORKFLOW.transitions.items()
}
# What the buttons say (imperative), where ACTION_LABELS say what happened.
ACTION_BUTTONS = {action: step.button for action, step in WORKFLOW.transitions.items()}


def allowed_actions(actor: Actor | None, anomaly: Anomaly) -> list[str]:
    """The transitions ``actor`` may make now (for pages: which buttons to show)."""
    return WORKFLOW.allowed_actions(actor, anomaly)


def _notify_office(anomaly: Anomaly, title: str, *, exclude: Iterable[int] = (), level: str = "info") -> None:
    tell(
        WORKFLOW,
        anomaly,
        [Handoff(_office(anomaly, exclude=exclude), title=title, body=_summary(anomaly), level=level)],
    )


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
    previous = anomaly.assignee.username if anomaly.assignee_id else None
    audit.update({"assignee": assignee.username, "previous": previous, "due_at": due_at.isoformat()})
    return {"assignee": assignee, "assigned_at": now, "verify_due_at": due_at, "overdue_reminded_at": None}


def _comment_required(comment: str) -> Callable[[Anomaly], None]:
    def prepare(locked: Anomaly) -> None:
        _require_comment(comment)

    return prepare


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
    """verifying → verified: the complete verification report goes to the discipline group (told)."""
    audit: dict[str, Any] = {}

    def prepare(locked: Anomaly) -> dict[str, Any]:
        report = VerificationReport.objects.select_for_update().filter(anomaly=locked).first()
        _require_complete(report)
        assert report is not None  # _require_complete raised otherwise
        now = timezone.now()
        report.submitted_at = now
        report.save(update_fields=["submitted_at", "updated_at"])
        audit["conclusion"] = report.conclusion
        report_id = report.pk  # its PDF renders once, in a worker, when the submission commits
        transaction.on_commit(lambda: verification_pdf_requested(report_id))
        hours = selectors.anomaly_settings_for(bureau=locked.bureau_id).assessment_hours
        return {"verified_at": now, "assess_due_at": now + timedelta(hours=hours)}

    return transition(
        anomaly, "submit_verification", actor, comment, workflow=WORKFLOW, prepare=prepare, extra=audit
    )


@transaction.atomic
def anomaly_return_verification(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """verified → verifying: the verification report needs revision; the verifier gets a new deadline."""

    def prepare(locked: Anomaly) -> dict[str, Any]:
        _require_comment(comment)
        hours = selectors.anomaly_settings_for(bureau=locked.bureau_id).verification_hours
        return {"verify_due_at": timezone.now() + timedelta(hours=hours), "overdue_reminded_at": None}

    return transition(
        anomaly, "return_verification", actor, (comment or "").strip(), workflow=WORKFLOW, prepare=prepare
    )


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
    audit: dict[str, Any] = {}

    def prepare(locked: Anomaly) -> dict[str, Any]:
        ratings = list(AssessmentRating.objects.filter(anomaly=locked))
        if not ratings:
            raise InvalidInput(_("No expert has rated this anomaly yet."), field="ratings")
        audit.update(rating_summary(ratings))
        return {"assessed_at": timezone.now()}

    return transition(anomaly, "assess", actor, comment, workflow=WORKFLOW, prepare=prepare, extra=audit)


@transaction.atomic
def anomaly_return_assessment(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """assessed → verified: the group reopens its assessment before deciding."""
    return transition(
        anomaly,
        "return_assessment",
        actor,
        (comment or "").strip(),
        workflow=WORKFLOW,
        prepare=_comment_required(comment),
        assessed_at=None,
    )


def _decision(action: str, decision: str, comment: str) -> Callable[[Anomaly], dict[str, Any]]:
    def prepare(locked: Anomaly) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if locked.state == State.ASSESSED:  # the end of tracking keeps the group's decision
            changes.update(decision=decision, decision_comment=(comment or "").strip())
        if action == "close":
            changes["closed_at"] = timezone.now()
        return changes

    return prepare


@transaction.atomic
def anomaly_track(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """assessed → tracking: the group's decision to keep watching it; the reporter is told."""
    prepare = _decision("track", Anomaly.Decision.TRACK, comment)
    return transition(anomaly, "track", actor, comment, workflow=WORKFLOW, prepare=prepare)


@transaction.atomic
def anomaly_close(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """assessed | tracking → closed: the group's decision, or the end of tracking; the reporter is told."""
    prepare = _decision("close", Anomaly.Decision.CLOSE, comment)
    return transition(anomaly, "close", actor, comment, workflow=WORKFLOW, prepare=prepare)


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


def _overdue_handoffs(anomaly: Anomaly, title: str) -> list[Handoff]:
    """The assignee (urgent), then the bureau's admins and the discipline office (warning)."""
    handoffs = []
    if anomaly.assignee_id:
        handoffs.append(
            Handoff(
                [anomaly.assignee],
                title=title,
                body=_summary(anomaly),
                level=Notification.Level.URGENT,
                kind="anomaly.overdue",
            )
        )
    watchers = [*bureau_role_holders(bureau=anomaly.bureau_id, roles=[Role.BUREAU_ADMIN]), *_office(anomaly)]
    handoffs.append(
        Handoff(
            [user for user in watchers if user.pk != anomaly.assignee_id],
            title=title,
            body=_summary(anomaly),
            level=Notification.Level.WARNING,
        )
    )
    return handoffs


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
            tell(WORKFLOW, anomaly, _overdue_handoffs(anomaly, title))
            audit_record(actor=None, action="anomaly.overdue_reminder", target=anomaly)
            broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "overdue"))
            reminded += 1
    return reminded
