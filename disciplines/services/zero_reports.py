"""Zero-reports (零报告): submission, resubmission with history, CSV import, missing-report reminders.

One report per unit and period. A resubmission before the deadline replaces the
report; after the deadline it is still accepted and marked late. Every
submission is kept as a revision. Submissions of one unit are serialised by
locking the unit's row, so two at once cannot both create the period's report.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disciplines import permissions, selectors
from disciplines.models import (
    BEIJING,
    Anomaly,
    MissingReportReminder,
    ReportingUnit,
    ZeroReport,
    ZeroReportRevision,
)
from portal import uploads
from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import Notification
from portal.services import audit_record, broadcast_on_commit, notify_user
from portal.validators import WORK_DATE_MAX, WORK_DATE_MIN, is_work_date
from portal.workflow import Transition, Workflow, register, register_labels, transition

from . import anomalies as anomaly_services
from . import live_group
from .attachments import validate_files

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.core.files.uploadedfile import UploadedFile

    from portal.tenancy import Actor

Status = ZeroReport.Status
OPEN_FOR_REVISION = (Anomaly.State.REPORTED, Anomaly.State.RETURNED)


@dataclass
class AnomalyInput:
    observation_item: str = ""
    description: str = ""
    onset_at: datetime | None = None


def _parse_date(text: str) -> date | None:
    try:
        return parse_date(text) if text else None
    except ValueError:  # well-formed but impossible, e.g. 2026-13-45
        return None


def _parse_time(text: str) -> datetime | None:
    try:
        return parse_datetime(text if "T" in text else text.replace(" ", "T", 1))
    except ValueError:
        return None


def _check_period(unit: ReportingUnit, period: Any, now: datetime, *, field: str = "period") -> date:
    if isinstance(period, str):
        parsed = _parse_date(period.strip())
        if parsed is None:
            raise InvalidInput(
                _("%(value)s is not a date; write it as YYYY-MM-DD.") % {"value": period or '""'}, field=field
            )
        period = parsed
    if not isinstance(period, date):
        raise InvalidInput(_("The period is required, as YYYY-MM-DD."), field=field)
    if not is_work_date(period):  # 0001-01-01: no report, and its week starts before year 1
        raise InvalidInput(
            _("%(value)s is outside the years %(first)d to %(last)d.")
            % {"value": period.isoformat(), "first": WORK_DATE_MIN.year, "last": WORK_DATE_MAX.year},
            field=field,
        )
    period = unit.period_start(period)
    if period > selectors.beijing_today(now):
        raise InvalidInput(
            _("The period %(period)s is in the future.") % {"period": period.isoformat()}, field=field
        )
    return period


def _check_anomaly(
    unit: ReportingUnit, data: AnomalyInput | None, now: datetime, prefix: str = "anomaly."
) -> AnomalyInput:
    if data is None:
        raise InvalidInput(_("An anomaly report needs its details."), field="anomaly")
    item = (data.observation_item or "").strip()
    if not item:
        raise InvalidInput(_("The observation item is required."), field=f"{prefix}observation_item")
    if unit.observation_items and item not in unit.observation_items:
        raise InvalidInput(
            _("%(item)s is not observed at %(unit)s; its items are %(items)s.")
            % {"item": item, "unit": unit.name, "items": "、".join(unit.observation_items)},
            field=f"{prefix}observation_item",
        )
    if not (data.description or "").strip():
        raise InvalidInput(_("Describe the anomaly."), field=f"{prefix}description")
    if data.onset_at is None:
        raise InvalidInput(_("The onset time is required."), field=f"{prefix}onset_at")
    if timezone.is_naive(data.onset_at):
        data.onset_at = data.onset_at.replace(tzinfo=BEIJING)  # people write Beijing time
    if data.onset_at > now + timedelta(minutes=5):
        raise InvalidInput(_("The onset time is in the future."), field=f"{prefix}onset_at")
    return data


def _report_lock(actor: Actor | None, report: ZeroReport | int) -> ZeroReport:
    locked = (
        ZeroReport.objects.select_for_update(of=("self",))
        .select_related("unit", "unit__discipline")
        .filter(pk=getattr(report, "pk", report))
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _may_report_for(actor: Actor | None, report: ZeroReport) -> bool:
    """A reporter responsible for the unit, or whoever manages the bureau's units (CSV import)."""
    unit = report.unit
    if actor is None or actor.bureau_id != unit.bureau_id:
        return False
    if permissions.can_manage_units(actor):
        return True
    held = selectors.unit_is_held(actor=actor, unit=unit)
    return permissions.can_submit_zero_report(actor, unit, holds_unit=held)


def _report_live(report: ZeroReport, action: str) -> tuple[str, dict[str, Any]]:
    return live_group(report.bureau_id), {
        "kind": "zero_report",
        "unit": report.unit_id,
        "period": report.period.isoformat(),
        "cell": _cell(report),
        "status": report.status,
        "late": report.is_late,
        "discipline": report.unit.discipline.code,
    }


# A report's status is what it says (no anomaly, or one) rather than a stage of work; it still
# changes only here: a resubmission moves it to what the new submission says (the first
# submission creates the row). Both moves are audited as "zero_report.resubmit".
ZERO_REPORT_WORKFLOW = register(
    Workflow(
        name="zero_report",
        model=ZeroReport,
        state_field="status",
        noun=gettext_lazy("zero-report"),
        lock=_report_lock,
        live=_report_live,
        transitions={
            "resubmit_none": Transition(
                frozenset(Status.values),
                Status.NONE,
                _may_report_for,
                gettext_lazy("zero-report resubmitted"),
                audit_action="zero_report.resubmit",
            ),
            "resubmit_anomaly": Transition(
                frozenset(Status.values),
                Status.ANOMALY,
                _may_report_for,
                gettext_lazy("zero-report resubmitted"),
                audit_action="zero_report.resubmit",
            ),
        },
    )
)
register_labels(
    {
        "zero_report.submit": gettext_lazy("zero-report submitted"),
        "zero_report.import": gettext_lazy("zero-reports imported"),
    }
)


def _cell(report: ZeroReport) -> str:
    if report.status == Status.ANOMALY:
        return "a"
    return "l" if report.is_late else "o"


def zero_report_submit(
    *,
    actor: Actor,
    unit: ReportingUnit,
    period: date | str,
    status: str,
    anomaly: AnomalyInput | None = None,
    files: Iterable[UploadedFile] = (),
    source: str = ZeroReport.Source.WEB,
    now: datetime | None = None,
) -> ZeroReport:
    """Submit a unit's report for a period; raises PermissionDenied for a unit the reporter does not hold."""
    holds = selectors.unit_is_held(actor=actor, unit=unit)
    if not permissions.can_submit_zero_report(actor, unit, holds_unit=holds):
        raise PermissionDenied(
            _("You do not report for %(unit)s; only its responsible reporters do.") % {"unit": unit.name}
        )
    return _submit(
        actor=actor,
        unit=unit,
        period=period,
        status=status,
        anomaly=anomaly,
        files=files,
        source=source,
        now=now,
    )


@transaction.atomic
def _submit(
    *,
    actor: Actor,
    unit: ReportingUnit,
    period: date | str,
    status: str,
    anomaly: AnomalyInput | None,
    files: Iterable[UploadedFile],
    source: str,
    now: datetime | None,
) -> ZeroReport:
    now = now or timezone.now()
    if status not in Status.values:
        raise InvalidInput(
            _("status must be one of %(all)s.") % {"all": ", ".join(Status.values)}, field="status"
        )
    period = _check_period(unit, period, now)
    checked_files = validate_files(files)
    if status == Status.ANOMALY:
        anomaly = _check_anomaly(unit, anomaly, now)
    elif checked_files:
        raise InvalidInput(_("Photos and files belong to an anomaly report."), field="attachments")
    # Lock the unit: submissions for one unit run one at a time (no duplicate period rows).
    unit = (
        ReportingUnit.objects.select_for_update(of=("self",))
        .select_related("discipline", "bureau")
        .get(pk=unit.pk)
    )
    existing = ZeroReport.objects.filter(unit=unit, period=period).first()
    late = now > unit.deadline_for(period)
    linked: Anomaly | None = None
    if existing is not None and existing.anomaly_id:
        linked = anomaly_services.lock_for_report(actor, existing.anomaly_id)
        if linked.state not in OPEN_FOR_REVISION:
            raise InvalidTransition(
                _(
                    "The anomaly reported for this period is already %(state)s; the report can no longer be replaced."
                )
                % {"state": linked.get_state_display()}
            )
    if status == Status.ANOMALY:
        if anomaly is None or anomaly.onset_at is None:  # _clean_anomaly required both for this status
            raise RuntimeError("an anomaly zero report reached _submit without the anomaly's onset")
        if linked is not None and linked.state in OPEN_FOR_REVISION:
            linked = anomaly_services.anomaly_revise_from_report(
                actor=actor,
                anomaly=linked,
                description=anomaly.description,
                observation_item=anomaly.observation_item,
                onset_at=anomaly.onset_at,
            )
            if checked_files:
                from .attachments import store_files

                store_files(actor=actor, anomaly=linked, files=checked_files)
        else:
            linked = anomaly_services.anomaly_create_record(
                actor=actor,
                source=Anomaly.Source.ZERO_REPORT,
                discipline=unit.discipline,
                observation_item=anomaly.observation_item,
                onset_at=anomaly.onset_at,
                description=anomaly.description,
                unit=unit,
                files=checked_files,
            )
    elif linked is not None:
        anomaly_services.anomaly_withdraw(
            actor=actor, anomaly=linked, comment=_("Replaced by a report of no anomaly for the same period.")
        )
        linked = None
    audit = {"unit": unit.code, "period": period.isoformat(), "late": late}
    if existing is None:
        report = ZeroReport.objects.create(
            bureau_id=unit.bureau_id,
            unit=unit,
            period=period,
            status=status,
            reported_by=actor.user,
            submitted_at=now,
            is_late=late,
            revision=1,
            source=source,
            anomaly=linked,
        )
        audit_record(
            actor=actor,
            action="zero_report.submit",
            target=report,
            to_state=status,
            extra={**audit, "revision": report.revision},
        )
        broadcast_on_commit(*_report_live(report, "submit"))  # a new row: no move to broadcast
    else:
        report = transition(
            existing,
            "resubmit_anomaly" if status == Status.ANOMALY else "resubmit_none",
            actor,
            workflow=ZERO_REPORT_WORKFLOW,
            prepare=lambda locked: {"revision": locked.revision + 1},
            extra=lambda locked: {**audit, "revision": locked.revision},
            reported_by=actor.user,
            submitted_at=now,
            is_late=late,
            source=source,
            anomaly=linked,
        )
    content: dict[str, Any] = {}
    if status == Status.ANOMALY and anomaly is not None and anomaly.onset_at is not None:
        content = {
            "observation_item": anomaly.observation_item,
            "description": anomaly.description,
            "onset_at": anomaly.onset_at.isoformat(),
            "files": [f.display_name for f in checked_files],
            "anomaly": linked.pk if linked else None,
        }
    ZeroReportRevision.objects.create(
        bureau_id=unit.bureau_id,
        report=report,
        revision=report.revision,
        status=status,
        submitted_by=actor.user,
        submitted_at=now,
        is_late=late,
        source=source,
        content=content,
    )
    return report


# --- CSV import ----------------------------------------------------------------------------

CSV_COLUMNS = ("unit", "period", "status", "observation_item", "description", "onset_at")
REQUIRED_COLUMNS = ("unit", "period", "status")
MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_CSV_LINES = 20000


@dataclass
class CsvLine:
    line: int
    unit: ReportingUnit | None = None
    period: date | None = None
    says: str = ""  # the status column: none | anomaly (not a state: the line is not stored)
    anomaly: AnomalyInput | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"line", "field", "message"}


@dataclass
class CsvImportResult:
    lines: int = 0
    valid: int = 0
    imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"line", "field", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "valid": self.valid, "imported": self.imported, "errors": self.errors}


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030 by default
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("The file is neither UTF-8 nor GB18030 text."), field="file")


def zero_report_import_csv(
    *,
    actor: Actor,
    raw: bytes,
    import_valid: bool = False,
    now: datetime | None = None,
    filename: str = "zero-reports.csv",
) -> CsvImportResult:
    """Check every line of a CSV of zero-reports; store them all, or none when any line is wrong.

    With ``import_valid`` the valid lines are stored and the wrong ones reported.
    Columns: unit (code), period (YYYY-MM-DD), status (none | anomaly), and for
    anomalies observation_item, description, onset_at (ISO time, Beijing when no zone).
    """
    if not permissions.can_import_zero_reports(actor):
        raise PermissionDenied(_("Only reporters and bureau administrators import zero-reports."))
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(_("The file is larger than 2 MB; split it."), field="file")
    uploads.check_bytes(raw, name=filename, allowed=("csv", "txt"), field="file", max_bytes=MAX_CSV_BYTES)
    now = now or timezone.now()
    text = _decode(raw)
    if "\x00" in text:  # binary data: PostgreSQL text cannot hold a NUL, refuse it at its line
        raise InvalidInput(
            _("Line %(line)d contains a NUL byte: the file is binary or corrupted.")
            % {"line": text.count("\n", 0, text.index("\x00")) + 1},
            field="file",
        )
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _import_rows(actor=actor, reader=reader, import_valid=import_valid, now=now)
    except csv.Error as problem:  # a field over the csv module's limit (128 KiB), an open quote...
        raise InvalidInput(
            _("Line %(line)d cannot be read as CSV (%(problem)s).")
            % {"line": reader.line_num + 1, "problem": problem},
            field="file",
        ) from None


def _import_rows(
    *, actor: Actor, reader: csv.DictReader[str], import_valid: bool, now: datetime
) -> CsvImportResult:
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InvalidInput(
            _("The header lacks the column(s) %(missing)s; expected %(columns)s.")
            % {"missing": ", ".join(missing), "columns": ",".join(CSV_COLUMNS)},
            field="file",
        )
    rows = []
    for row in reader:
        rows.append(
            {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()}
        )
        if len(rows) > MAX_CSV_LINES:
            raise InvalidInput(_("At most %(n)d lines per file.") % {"n": MAX_CSV_LINES}, field="file")
    units = selectors.unit_by_codes(actor=actor, codes=sorted({r.get("unit", "") for r in rows}))
    held = selectors.held_unit_ids(actor=actor)
    for_any_unit = permissions.can_manage_units(actor)
    existing = {
        (r.unit_id, r.period): r
        for r in selectors.zero_report_list(actor=actor)
        .filter(unit__in=list(units.values()))
        .select_related("anomaly")
    }
    parsed: list[CsvLine] = []
    seen: dict[tuple[int, date], int] = {}
    for number, row in enumerate(rows, start=2):  # line 1 is the header
        entry = CsvLine(line=number)
        parsed.append(entry)

        def fail(column: str, message: str, entry: CsvLine = entry) -> None:
            entry.errors.append({"line": entry.line, "field": column, "message": message})

        unit = units.get(row.get("unit", ""))
        if unit is None:
            fail("unit", _("Unknown reporting unit %(code)s.") % {"code": row.get("unit") or '""'})
            continue
        if not unit.is_active:
            fail("unit", _("%(code)s is no longer active.") % {"code": unit.code})
            continue
        if not for_any_unit and unit.pk not in held:
            fail("unit", _("You do not report for %(code)s.") % {"code": unit.code})
            continue
        entry.unit = unit
        try:
            entry.period = _check_period(unit, row.get("period", ""), now)
        except InvalidInput as exc:
            fail("period", exc.message)
        entry.says = row.get("status", "").lower()
        if entry.says not in Status.values:
            fail("status", _("status must be one of %(all)s.") % {"all": ", ".join(Status.values)})
        elif entry.says == Status.ANOMALY:
            onset = None
            text = row.get("onset_at", "")
            if text:
                onset = _parse_time(text)
                if onset is None:
                    fail("onset_at", _("%(value)s is not a time; write YYYY-MM-DD HH:MM.") % {"value": text})
            try:
                if onset is not None or not text:
                    entry.anomaly = _check_anomaly(
                        unit,
                        AnomalyInput(row.get("observation_item", ""), row.get("description", ""), onset),
                        now,
                        prefix="",
                    )
            except InvalidInput as exc:
                fail(exc.field or "anomaly", exc.message)
        if entry.period is not None:
            key = (unit.pk, entry.period)
            if key in seen:
                fail(
                    "period",
                    _("Line %(other)d already reports %(unit)s for %(period)s.")
                    % {"other": seen[key], "unit": unit.code, "period": entry.period.isoformat()},
                )
            else:
                seen[key] = number
            prior = existing.get(key)
            if (
                prior is not None
                and prior.anomaly is not None
                and prior.anomaly.state not in OPEN_FOR_REVISION
            ):
                fail(
                    "period",
                    _("The anomaly of %(unit)s for %(period)s is already under review.")
                    % {"unit": unit.code, "period": entry.period.isoformat()},
                )
    result = CsvImportResult(lines=len(parsed))
    for entry in parsed:
        result.errors.extend(entry.errors)
    valid = [e for e in parsed if not e.errors]
    result.valid = len(valid)
    if result.errors and not import_valid:
        return result
    with transaction.atomic():
        for entry in valid:
            if entry.unit is None or entry.period is None:  # parsing gives every error-free row both
                raise RuntimeError(f"import row {entry.line} has no errors but no unit or period")
            _submit(
                actor=actor,
                unit=entry.unit,
                period=entry.period,
                status=entry.says,
                anomaly=entry.anomaly,
                files=(),
                source=ZeroReport.Source.CSV,
                now=now,
            )
        result.imported = len(valid)
        if actor.bureau is None:  # can_import_zero_reports requires one; this narrows the type
            raise RuntimeError("zero reports were imported for an actor without a bureau")
        audit_record(
            actor=actor,
            action="zero_report.import",
            target=actor.bureau,
            bureau=actor.bureau,
            extra={"lines": result.lines, "imported": result.imported, "errors": len(result.errors)},
        )
    return result


# --- missing reports -----------------------------------------------------------------------

LOOKBACK_DAYS = 3


def zero_reports_remind_missing(*, now: datetime | None = None) -> dict[str, int]:
    """Find reports whose deadline passed and remind their reporters; the discipline office gets a summary.

    Idempotent: each missing unit-period is chased once (MissingReportReminder).
    Looks back ``LOOKBACK_DAYS`` days so a job that did not run for a while catches up.
    """
    now = now or timezone.now()
    today = selectors.beijing_today(now)
    units = list(selectors.units_for_reminders().prefetch_related("reporters"))
    candidates: list[tuple[ReportingUnit, date]] = []
    for unit in units:
        for back in range(1, LOOKBACK_DAYS + 8):
            period = unit.period_start(today - timedelta(days=back))
            if unit.deadline_for(period) > now or (today - period).days > LOOKBACK_DAYS + 7:
                continue
            if unit.schedule == ReportingUnit.Schedule.DAILY and back > LOOKBACK_DAYS:
                break
            candidates.append((unit, period))
    candidates = list(dict.fromkeys(candidates))
    unit_ids = [u.pk for u in units]
    periods = {p for _u, p in candidates}
    reported = set(
        ZeroReport.objects.filter(unit_id__in=unit_ids, period__in=periods).values_list("unit_id", "period")
    )
    chased = set(
        MissingReportReminder.objects.filter(unit_id__in=unit_ids, period__in=periods).values_list(
            "unit_id", "period"
        )
    )
    missing = [(u, p) for u, p in candidates if (u.pk, p) not in reported and (u.pk, p) not in chased]
    by_reporter: dict[int, list[tuple[ReportingUnit, date]]] = defaultdict(list)
    reporters: dict[int, Any] = {}
    by_office: dict[tuple[int, int], list[tuple[ReportingUnit, date]]] = defaultdict(list)
    with transaction.atomic():
        for unit, period in missing:
            _row, created = MissingReportReminder.objects.get_or_create(
                unit=unit, period=period, defaults={"bureau_id": unit.bureau_id, "reminded_at": now}
            )
            if not created:
                continue
            for reporter in unit.reporters.all():
                if reporter.is_active:
                    by_reporter[reporter.pk].append((unit, period))
                    reporters[reporter.pk] = (reporter, unit.bureau)
            by_office[(unit.bureau_id, unit.discipline_id)].append((unit, period))
        url = reverse("disciplines:report")
        for user_id, items in by_reporter.items():
            user, bureau = reporters[user_id]
            notify_user(
                user=user,
                title=_("Zero-report missing for %(n)d unit-period(s)") % {"n": len(items)},
                body="; ".join(f"{u.name} {p.isoformat()}" for u, p in items[:20]),
                url=url,
                level=Notification.Level.WARNING,
                kind="zero_report.missing",
                bureau=bureau,
            )
        office_notices = 0
        matrix_url = reverse("disciplines:matrix")
        for (_bureau_id, discipline_id), items in by_office.items():
            bureau = items[0][0].bureau
            for expert in selectors.discipline_experts(bureau=bureau, discipline=discipline_id):
                notify_user(
                    user=expert,
                    title=_("%(discipline)s: %(n)d zero-report(s) missing")
                    % {"discipline": items[0][0].discipline.name_zh, "n": len(items)},
                    body="; ".join(f"{u.code} {u.name} {p.isoformat()}" for u, p in items[:30]),
                    url=f"{matrix_url}?discipline={items[0][0].discipline.code}",
                    kind="zero_report.missing_summary",
                    bureau=bureau,
                )
                office_notices += 1
    return {"missing": len(missing), "reporters": len(by_reporter), "office_notices": office_notices}
