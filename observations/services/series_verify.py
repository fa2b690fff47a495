"""Evidence of data, checked: every stored channel-day hashed again and compared with the
hash it had when it was received (``SeriesDayEvidence``, observations.evidence), and that
hash with the audit chain record that carries it.

A day is listed when

* its samples no longer give the hash recorded at receipt (``changed``),
* its stored row is gone while its evidence remains (``deleted``),
* its evidence no longer agrees with the chain record it names, or that record was edited
  (``evidence``: someone changed the evidence to fit changed samples).

Whether the chain record itself still sits in an unbroken chain is ``audit_verify``'s to say
(the integrity page runs both). Days stored with no evidence (written before evidence was
kept) are counted, not listed.

Registered as the integrity check kind ``series`` (portal.integrity): ``manage.py
series_verify`` runs it at once, the integrity page in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from observations import evidence_selectors
from observations.evidence import day_digest
from observations.series_codec import decode_float4_array_send
from portal import audit_chain, integrity
from portal import integrity_selectors as chain_selectors

if TYPE_CHECKING:
    from observations.evidence_selectors import EvidenceRow

KIND = "series"
PER_READ = 2000
RECORDS_CACHED = 4096
DAY_SECONDS = 86400

Report = Callable[[dict[str, Any]], None]


@dataclass
class SeriesCheck:
    checked: int = 0
    problem_count: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    unevidenced: int = 0

    @property
    def intact(self) -> bool:
        return self.problem_count == 0


def _label(row: EvidenceRow) -> str:
    item = f"{row.item} {row.orientation}" if row.orientation else row.item
    return f"{row.station} {item} {row.day.isoformat()}"


def _evidence_fits(row: EvidenceRow, record: audit_chain.ChainRow | None) -> bool:
    if record is None or audit_chain.record_hash(record) != record.hash:
        return False
    days = record.extra.get("days") if isinstance(record.extra, dict) else None
    return (
        record.action == "channel.series_written"
        and record.target_id == str(row.channel_id)
        and isinstance(days, dict)
        and days.get(row.day.isoformat()) == row.sha256
    )


def series_verify(
    *,
    bureau_id: int | None = None,
    report: Report | None = None,
    progress: Callable[[int], None] | None = None,
    kept: int = integrity.PROBLEMS_KEPT,
) -> SeriesCheck:
    """Check every channel-day with evidence (of one bureau with ``bureau_id``); ``report``
    hears each problem as it is found (the command prints them all), the first ``kept`` are
    returned."""
    state = SeriesCheck()
    records: dict[int, audit_chain.ChainRow | None] = {}
    fits: dict[int, bool] = {}  # (per record: its own hash is right) memo

    def problem(row: EvidenceRow, kind: str, what: str, found: str | None) -> None:
        item = {
            "kind": kind,
            "what": what,
            "where": _label(row),
            "url": reverse("observations:channel-detail", args=[row.channel_id]),
            "channel": row.channel_id,
            "day": row.day.isoformat(),
            "expected": row.sha256,
            "found": found,
            "recorded_in": row.recorded_in_id,
        }
        state.problem_count += 1
        if len(state.problems) < kept:
            state.problems.append(item)
        if report is not None:
            report(item)

    after = 0
    while True:
        batch = evidence_selectors.evidence_batch(after_id=after, limit=PER_READ, bureau_id=bureau_id)
        if not batch:
            break
        missing = {row.recorded_in_id for row in batch} - records.keys()
        if len(records) + len(missing) > RECORDS_CACHED:
            records.clear()
            fits.clear()
            missing = {row.recorded_in_id for row in batch}
        found_records = chain_selectors.chain_rows_by_id(ids=missing)
        for record_id in missing:
            records[record_id] = found_records.get(record_id)
        for row in batch:
            state.checked += 1
            record = records.get(row.recorded_in_id)
            if not _evidence_fits(row, record):
                problem(
                    row,
                    "evidence",
                    _(
                        "The hash kept for this day does not agree with the audit record %(id)d that "
                        "recorded it at receipt (the evidence or the record was changed)."
                    )
                    % {"id": row.recorded_in_id},
                    None,
                )
                continue
            if row.blob is None:
                problem(row, "deleted", _("The day's samples were deleted after they were received."), None)
                continue
            per_day = DAY_SECONDS // row.interval
            values = decode_float4_array_send(row.blob, per_day)
            digest = day_digest(channel_id=row.channel_id, day=row.day, interval=row.interval, values=values)
            if digest != row.sha256:
                problem(
                    row,
                    "changed",
                    _("The stored samples are not those received: they hash to %(found)s, not %(expected)s.")
                    % {"found": digest[:16] + "…", "expected": row.sha256[:16] + "…"},
                    digest,
                )
        after = batch[-1].id
        if progress is not None:
            progress(state.checked)
    state.unevidenced = evidence_selectors.unevidenced_days(bureau_id=bureau_id)
    return state


def _check(options: Mapping[str, Any], progress: integrity.Progress) -> integrity.Outcome:
    found = series_verify(bureau_id=options.get("bureau_id"), report=options.get("report"), progress=progress)
    return integrity.Outcome(
        intact=found.intact,
        checked=found.checked,
        summary={"unevidenced": found.unevidenced, "bureau_id": options.get("bureau_id")},
        problems=found.problems,
        problem_count=found.problem_count,
    )


def register_check() -> None:
    integrity.register(
        integrity.IntegrityKind(
            name=KIND,
            label=gettext_lazy("Evidence of data (stored series)"),
            what=gettext_lazy(
                "Every stored channel-day is hashed again and compared with the hash it had when "
                "it was received, recorded in the audit chain."
            ),
            run=_check,
        )
    )
