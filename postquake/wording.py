"""The words of a post-quake opinion, in the current language: the text prefilled from a draft
for the chair to edit, and what changed since the last issued opinion. Pure: reads only the
draft's JSON (``postquake.services.draft``) and the changes (``postquake.changes``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.timefmt import format_time
from products.methods.sequence import LABELS as TYPE_LABELS

from .changes import chosen_probabilities, sequence_type_of

CONFIDENCE = {
    "low": gettext_lazy("low"),
    "medium": gettext_lazy("medium"),
    "high": gettext_lazy("high"),
}
SOURCES = {
    "generic": gettext_lazy("generic parameters"),
    "fitted": gettext_lazy("parameters fitted to this sequence"),
}
SEQUENCE_TYPES = tuple(TYPE_LABELS)


def type_label(code: str | None) -> str:
    """A sequence type in the current language (主震-余震型 / mainshock-aftershock)."""
    if not code:
        return _("not yet told")
    zh, en = TYPE_LABELS.get(code, (code, code))
    return zh if (translation.get_language() or "zh-hans").startswith("zh") else en


def sequence_type_choices() -> list[tuple[str, str]]:
    return [(code, type_label(code)) for code in SEQUENCE_TYPES]


def percent(p: float) -> str:
    if p < 0.005:
        return "<1%"
    if p > 0.995:
        return ">99%"
    return f"{p * 100:.0f}%"


def _magnitude(value: Any) -> str:
    return f"{float(value):.1f}" if isinstance(value, (int, float)) else "?"


def _window(days: int) -> str:
    if days == 1:
        return _("24 hours")
    return _("%(n)d days") % {"n": days}


def _time(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return format_time(dt.datetime.fromisoformat(iso))
    except ValueError:
        return iso


def judgement(sequence_type: str | None, expected_max: float | None) -> str:
    """The judgement sentence the chair starts from, by sequence type (the CENC practice: a
    mainshock-aftershock sequence is unlikely to bring a larger quake; a swarm or several
    comparable shocks may; an isolated one hardly has strong aftershocks)."""
    bath = _magnitude(expected_max)
    label = type_label(sequence_type)
    if sequence_type in ("mainshock_aftershock", "foreshock_mainshock_aftershock"):
        return _(
            "Judgement: the sequence is of the %(type)s type; a larger earthquake is unlikely, "
            "but aftershocks of about M%(bath)s remain possible in the zone in the coming days."
        ) % {"type": label, "bath": bath}
    if sequence_type in ("swarm", "multiple_mainshock"):
        return _(
            "Judgement: the sequence is of the %(type)s type; earthquakes comparable to this one "
            "remain possible in the zone, and the sequence is tracked closely."
        ) % {"type": label}
    if sequence_type == "isolated":
        return _("Judgement: the sequence is isolated; strong aftershocks are unlikely.")
    return _(
        "Judgement: the sequence type cannot be told yet; aftershocks of about M%(bath)s are "
        "possible, and the sequence is tracked closely."
    ) % {"bath": bath}


def opinion_prefill(
    draft: dict[str, Any],
    *,
    sequence_type: str | None = None,
    expected_max: float | None = None,
) -> str:
    """The opinion as the draft has it, for the chair to edit: the event, the sequence so
    far, its type and how sure, Båth's figure, the Reasenberg-Jones probabilities and the
    judgement sentence. ``sequence_type`` / ``expected_max``: the chair's structured judgement
    where it differs from the draft's."""
    event = (draft.get("event") or {}).get("event") or {}
    sequence = draft.get("sequence") or {}
    drafted_type, confidence = sequence_type_of(draft)
    sequence_type = sequence_type or drafted_type
    bath = (draft.get("bath") or {}).get("max_aftershock")
    expected_max = expected_max if expected_max is not None else bath
    lines: list[str] = []
    depth = event.get("depth_km")
    lines.append(
        (
            _(
                "At %(time)s (Beijing time) an M%(mag)s earthquake occurred in %(place)s, at a depth of %(depth)s km."
            )
            if depth is not None
            else _("At %(time)s (Beijing time) an M%(mag)s earthquake occurred in %(place)s.")
        )
        % {
            "time": _time(event.get("origin_time")),
            "mag": _magnitude(event.get("magnitude")),
            "place": event.get("place") or "",
            "depth": f"{float(depth):g}" if isinstance(depth, (int, float)) else "",
        }
    )
    if sequence:
        largest = sequence.get("largest")
        count = int(sequence.get("count") or 0)
        line = ngettext(
            "By %(time)s, %(n)s aftershock was recorded within %(r)s km of the epicentre",
            "By %(time)s, %(n)s aftershocks were recorded within %(r)s km of the epicentre",
            count,
        ) % {
            "time": _time(draft.get("computed_at")),
            "n": count,
            "r": f"{float(sequence.get('zone_radius_km') or 0):g}",
        }
        if largest:
            line += _(", the largest M%(mag)s") % {"mag": _magnitude(largest.get("magnitude"))}
        lines.append(line + _("."))
    if sequence_type:
        if confidence and sequence_type == drafted_type:
            lines.append(
                _("Sequence type: %(type)s (confidence %(confidence)s, from %(n)s events).")
                % {
                    "type": type_label(sequence_type),
                    "confidence": CONFIDENCE.get(confidence, confidence),
                    "n": (draft.get("sequence_type") or {}).get("n_events", ""),
                }
            )
        else:
            lines.append(_("Sequence type: %(type)s.") % {"type": type_label(sequence_type)})
    else:
        lines.append(_("Sequence type: cannot be told yet (no aftershock so far)."))
    if expected_max is not None:
        lines.append(
            _("Expected largest aftershock by Båth's law: about M%(mag)s.")
            % {"mag": _magnitude(expected_max)}
        )
    chosen = chosen_probabilities(draft)
    rows = chosen["probabilities"]
    if rows:
        source = (chosen["parameters"] or {}).get("source", "generic")
        lines.append(
            _("Aftershock probabilities (Reasenberg-Jones, %(source)s):")
            % {"source": SOURCES.get(source, source)}
        )
        for magnitude in sorted({float(r["min_magnitude"]) for r in rows}):
            parts = [
                _("within %(window)s %(p)s")
                % {"window": _window(int(r["days"])), "p": percent(float(r["probability"]))}
                for r in sorted(rows, key=lambda r: int(r["days"]))
                if float(r["min_magnitude"]) == magnitude
            ]
            lines.append(
                _("M≥%(mag)s: %(parts)s") % {"mag": f"{magnitude:.1f}", "parts": _(", ").join(parts)}
            )
    lines.append(judgement(sequence_type, expected_max))
    return "\n".join(lines)


_HOURS = re.compile(r"^(\d+)h$")
_AFTERSHOCK = re.compile(r"^aftershock (\S+) M(\d+(?:\.\d+)?)$")


def trigger_words(trigger: str) -> str:
    """A trigger as stored (``first``, ``2h``, ``aftershock <id> M4.3``, several joined by
    ``; ``) in the current language; anything else as it is."""
    words = []
    for part in (trigger or "").split("; "):
        if part == "first":
            words.append(_("the first draft"))
        elif match := _HOURS.match(part):
            words.append(_("%(n)s h after the clock start") % {"n": match.group(1)})
        elif match := _AFTERSHOCK.match(part):
            words.append(_("aftershock M%(mag)s (%(id)s)") % {"mag": match.group(2), "id": match.group(1)})
        else:
            words.append(part)
    return _("; ").join(words)


def opinion_text(opinion: Any) -> str:
    """An opinion's text: the chair's, or (until it is written) the prefill of its draft in
    the current language with the chair's structured judgement."""
    if opinion.text:
        return str(opinion.text)
    return opinion_prefill(
        opinion.snapshot or {},
        sequence_type=opinion.sequence_type or None,
        expected_max=opinion.expected_max_magnitude,
    )


def _largest(value: dict[str, Any] | None) -> str:
    if not value:
        return _("none")
    return f"M{_magnitude(value.get('magnitude'))}"


def changes_in_words(changes: dict[str, Any]) -> list[str]:
    """The changes against the last issued opinion, one line each, in the current language."""
    if not changes or changes.get("against") is None:
        return []
    lines: list[str] = []
    if changes.get("sequence_type"):
        lines.append(
            _("Sequence type: %(from)s → %(to)s")
            % {
                "from": type_label(changes["sequence_type"]["from"]),
                "to": type_label(changes["sequence_type"]["to"]),
            }
        )
    if changes.get("confidence") and changes["confidence"].get("to"):
        old = changes["confidence"].get("from")
        lines.append(
            _("Confidence: %(from)s → %(to)s")
            % {
                "from": CONFIDENCE.get(old, old) if old else "—",
                "to": CONFIDENCE.get(changes["confidence"]["to"], changes["confidence"]["to"]),
            }
        )
    if changes.get("aftershocks"):
        lines.append(
            _("Aftershocks in the zone: %(from)s → %(to)s")
            % {"from": changes["aftershocks"]["from"], "to": changes["aftershocks"]["to"]}
        )
    if changes.get("largest_aftershock"):
        lines.append(
            _("Largest aftershock: %(from)s → %(to)s")
            % {
                "from": _largest(changes["largest_aftershock"]["from"]),
                "to": _largest(changes["largest_aftershock"]["to"]),
            }
        )
    if changes.get("parameters"):
        old, new = changes["parameters"]["from"], changes["parameters"]["to"]
        values = changes["parameters"].get("values") or {}
        line = _("Parameters: %(from)s → %(to)s") % {
            "from": SOURCES.get(old, old or "—"),
            "to": SOURCES.get(new, new or "—"),
        }
        if values:
            shown = {
                k: f"{float(values[k]):.2f}" if isinstance(values.get(k), (int, float)) else "?"
                for k in "abpc"
            }
            line += " (a={a} b={b} p={p} c={c})".format(**shown)
        lines.append(line)
    lines.extend(
        _("P(M≥%(mag)s within %(window)s): %(from)s → %(to)s")
        % {
            "mag": f"{float(row['min_magnitude']):.1f}",
            "window": _window(int(row["days"])),
            "from": percent(float(row["from"])),
            "to": percent(float(row["to"])),
        }
        for row in changes.get("probabilities") or []
    )
    if not lines:
        lines.append(_("No change in the sequence type, the aftershocks or the probabilities."))
    return lines
