"""The verification report of an anomaly: the verifier saves it while verifying, submits it
(verifying → verified) and the discipline group may return it for revision.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines import permissions, selectors
from disciplines.models import (
    Anomaly,
    CheckResult,
    VerificationReport,
)
from observations.models import InterferenceFactor
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.services import audit_record
from portal.workflow import transition

from .anomaly_workflow import WORKFLOW, State, _lock, _require_comment
from .verification_pdf import verification_pdf_requested

if TYPE_CHECKING:
    from portal.tenancy import Actor


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


def _require_complete(report: VerificationReport | None) -> VerificationReport:
    """The report, when it is complete (every field, every interference check has a result)."""
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
    return report


@transaction.atomic
def anomaly_submit_verification(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """verifying → verified: the complete verification report goes to the discipline group (told)."""
    audit: dict[str, Any] = {}

    def prepare(locked: Anomaly) -> dict[str, Any]:
        report = VerificationReport.objects.select_for_update().filter(anomaly=locked).first()
        report = _require_complete(report)
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
