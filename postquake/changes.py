"""What changed between two drafts of a post-quake opinion: pure functions over the draft's JSON
(``postquake.services.draft``), no database.

An updated opinion says what moved since the last issued one: the sequence type and how sure,
the count and the largest of the aftershocks in the sequence zone, whether the Reasenberg-Jones
parameters are the generic ones or fitted to this sequence, and the probabilities that moved by
at least :data:`MOVED` (five percentage points: the windows slide with the elapsed time, so a
smaller drift is the clock, not news). :mod:`postquake.wording` says it in words.
"""

from __future__ import annotations

from typing import Any

#: A probability "moved" when it changed by at least this much (absolute, 0..1).
MOVED = 0.05


def chosen_probabilities(draft: dict[str, Any]) -> dict[str, Any]:
    """The parameters and table the opinion states: fitted to the sequence when a fit exists,
    else the generic (or the bureau's) ones. ``{"parameters": {...} | None, "probabilities": [...]}``."""
    section = draft.get("probabilities") or {}
    chosen = section.get("fitted") or section
    return {"parameters": chosen.get("parameters"), "probabilities": list(chosen.get("probabilities") or [])}


def sequence_type_of(draft: dict[str, Any]) -> tuple[str | None, str | None]:
    """(type code, confidence) of the draft; (None, None) while it cannot be told."""
    section = draft.get("sequence_type") or {}
    if not section.get("ok"):
        return None, None
    return section.get("type"), section.get("confidence")


def largest_aftershock(draft: dict[str, Any]) -> dict[str, Any] | None:
    largest = (draft.get("sequence") or {}).get("largest")
    if not largest:
        return None
    return {"public_id": largest.get("public_id"), "magnitude": largest.get("magnitude")}


def aftershock_count(draft: dict[str, Any]) -> int | None:
    count = (draft.get("sequence") or {}).get("count")
    return int(count) if isinstance(count, int) else None


def _table(draft: dict[str, Any]) -> dict[tuple[float, int], float]:
    return {
        (float(row["min_magnitude"]), int(row["days"])): float(row["probability"])
        for row in chosen_probabilities(draft)["probabilities"]
        if row.get("probability") is not None
    }


def opinion_changes(
    previous: dict[str, Any] | None, current: dict[str, Any], *, against: int | None = None
) -> dict[str, Any]:
    """What ``current`` says differently from ``previous`` (the last issued opinion's draft).

    Every key is present; an unchanged item is None (probabilities: the list of the moved
    ones). ``against`` is the number of the opinion compared with; without a previous draft
    (nothing issued yet) the answer is ``{"against": None, "changed": False}``.
    """
    if previous is None:
        return {"against": None, "changed": False}
    out: dict[str, Any] = {"against": against}
    (old_type, old_confidence), (new_type, new_confidence) = (
        sequence_type_of(previous),
        sequence_type_of(current),
    )
    out["sequence_type"] = {"from": old_type, "to": new_type} if old_type != new_type else None
    out["confidence"] = (
        {"from": old_confidence, "to": new_confidence} if old_confidence != new_confidence else None
    )
    old_count, new_count = aftershock_count(previous), aftershock_count(current)
    out["aftershocks"] = {"from": old_count, "to": new_count} if old_count != new_count else None
    old_largest, new_largest = largest_aftershock(previous), largest_aftershock(current)
    out["largest_aftershock"] = (
        {"from": old_largest, "to": new_largest} if old_largest != new_largest else None
    )
    old_parameters = chosen_probabilities(previous)["parameters"] or {}
    new_parameters = chosen_probabilities(current)["parameters"] or {}
    old_source, new_source = old_parameters.get("source"), new_parameters.get("source")
    out["parameters"] = (
        {"from": old_source, "to": new_source, "values": new_parameters} if old_source != new_source else None
    )
    before, after = _table(previous), _table(current)
    out["probabilities"] = [
        {"min_magnitude": magnitude, "days": days, "from": before[(magnitude, days)], "to": p}
        for (magnitude, days), p in sorted(after.items())
        if (magnitude, days) in before and abs(p - before[(magnitude, days)]) >= MOVED - 1e-12
    ]
    out["changed"] = any(
        out[key] for key in ("sequence_type", "confidence", "aftershocks", "largest_aftershock", "parameters")
    ) or bool(out["probabilities"])
    return out
