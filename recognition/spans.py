"""Spans a rule finds in a product result: the one place that reads each method's result.

Two kinds of method serve a rule (one channel a run):

* **span methods** return their own candidate spans, with the method's threshold and
  persistence (``trend_residual``: ``anomalies``, k·σ of the residual from a moving trend for
  ``min_days`` in a row; ``k_sigma``: ``exceedances``, the same on a detrended series). The
  rule keeps them as they are (and drops those shorter than its ``persist_days``);
* **indicator methods** return one value a day (``daily_value``: the quiet night-time value;
  ``day_to_day_ratio``: Z's daily range over the next day's). The rule's ``threshold`` and
  ``direction`` make a day beyond it; a span is a run of such consecutive days (a day
  without a value ends it): the run-length rule of a Shewhart chart (Montgomery,
  *Introduction to Statistical Quality Control*, 7th ed. 2013, ch. 6), the same rule the
  span methods apply to k·σ.

``spans(method, result, threshold=, direction=)`` gives :class:`Span` by start; unknown
methods raise KeyError (a rule cannot be saved with one: ``RULE_METHODS``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

SPAN_METHODS = ("trend_residual", "k_sigma")
INDICATOR_METHODS = ("daily_value", "day_to_day_ratio")
RULE_METHODS = SPAN_METHODS + INDICATOR_METHODS
# Parameters a rule fixes because it reads one channel a run (day_to_day_ratio pairs Z with
# H to find disturbed days; with one channel it can only take every day as quiet).
FIXED_PARAMS: dict[str, dict[str, Any]] = {"day_to_day_ratio": {"disturbed": "none", "min_stations": 1}}


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date  # inclusive
    peak: float | None  # σ for span methods, the indicator's extreme otherwise
    peak_day: dt.date | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def _candidate_spans(rows: list[dict[str, Any]]) -> list[Span]:
    return [Span(_day(r["start"]), _day(r["end"]), float(r["peak_sigma"]), _day(r["peak_day"])) for r in rows]


def _indicator(method: str, result: dict[str, Any]) -> list[Any]:
    station = result["stations"][0]
    return list(station["values"] if method == "daily_value" else station["ratio"])


def indicator_spans(days: list[str], values: list[Any], *, threshold: float, direction: str) -> list[Span]:
    """Runs of consecutive days whose value lies beyond ``threshold`` (``above``: >, ``below``: <)."""
    out: list[Span] = []
    run: list[tuple[dt.date, float]] = []

    def close() -> None:
        if run:
            peak_day, peak = (max if direction == "above" else min)(run, key=lambda pair: pair[1])
            out.append(Span(run[0][0], run[-1][0], peak, peak_day))
            run.clear()

    previous: dt.date | None = None
    for day_text, value in zip(days, values, strict=True):
        day = _day(day_text)
        finite = isinstance(value, int | float) and math.isfinite(value)
        beyond = finite and (value > threshold if direction == "above" else value < threshold)
        if not beyond or (previous is not None and (day - previous).days != 1):
            close()
        if beyond:
            run.append((day, float(value)))
            previous = day
        else:
            previous = None
    close()
    return out


def spans(method: str, result: dict[str, Any], *, threshold: float | None, direction: str) -> list[Span]:
    """The spans ``result`` (of ``method`` over one channel) holds, by start."""
    if method == "trend_residual":
        found = _candidate_spans(result["anomalies"])
    elif method == "k_sigma":
        found = _candidate_spans(result["exceedances"])
    elif method in INDICATOR_METHODS:
        if threshold is None:
            return []
        found = indicator_spans(
            result["days"], _indicator(method, result), threshold=threshold, direction=direction
        )
    else:
        raise KeyError(method)
    return sorted(found, key=lambda s: (s.start, s.end))
