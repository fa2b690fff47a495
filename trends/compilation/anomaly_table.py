"""Section 3, the bureau's anomalies by discipline: reported (created), verified and closed
within the month, and those under tracking (at compilation); counts per discipline and a
table. An anomaly's rating is its experts' most given credibility (A before B before C on
a tie), with the tally. Each row cites the forecast skill of the anomaly's channel as the
bureau scored it (``skill``: R, R0, R > R0, probability gain, the channel's skill page), or
None where the channel has no score (no channel, or not scored yet)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from disciplines.models import Anomaly, AssessmentRating
from disciplines.selectors import discipline_list
from skill.selectors import scores_for_channels

from . import CompileContext, Compiled, compiler, queries

STATES = ("reported", "verified", "tracking", "closed")


def _rating(ratings: list[AssessmentRating]) -> str:
    tally = Counter(r.credibility for r in ratings)
    if not tally:
        return ""
    best = sorted(tally.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return f"{best} ({', '.join(f'{k}×{v}' for k, v in sorted(tally.items()))})"


def _skill(score: Any) -> dict[str, Any] | None:
    """What the report cites of a channel's forecast skill."""
    if score is None:
        return None
    return {
        "r_score": score.r_score,
        "r0": score.r0,
        "significant": score.significant,
        "gain": score.gain,
        "alarms": score.alarms,
        "hits": score.hits,
        "url": reverse("skill:channel", args=[score.channel_id]),
    }


@compiler("anomalies")
def compile_anomalies(context: CompileContext) -> Compiled:
    start, end = queries.month_bounds(context.month)
    states = dict(Anomaly.State.choices)
    # every discipline has its line, with zeros when it had nothing this month
    by_discipline: dict[str, dict[str, Any]] = {
        d.code: {
            "discipline": d.code,
            "name": d.name_zh,
            "name_en": d.name_en,
            "order": d.order,
            **dict.fromkeys(STATES, 0),
        }
        for d in discipline_list()
    }
    rows = []
    listed = list(queries.anomalies_of_month(context.reader, context.bureau, start, end))
    skill = scores_for_channels(
        actor=context.reader, channel_ids=[a.channel_id for a in listed if a.channel_id is not None]
    )
    for anomaly in listed:
        flags = {
            "reported": start <= anomaly.created_at < end,
            "verified": anomaly.verified_at is not None and start <= anomaly.verified_at < end,
            "tracking": anomaly.state == Anomaly.State.TRACKING,
            "closed": anomaly.closed_at is not None and start <= anomaly.closed_at < end,
        }
        code = anomaly.discipline.code
        entry = by_discipline.setdefault(
            code,
            {
                "discipline": code,
                "name": anomaly.discipline.name_zh,
                "name_en": anomaly.discipline.name_en,
                "order": anomaly.discipline.order,
                **dict.fromkeys(STATES, 0),
            },
        )
        for key, on in flags.items():
            entry[key] += int(on)
        rows.append(
            {
                "id": anomaly.pk,
                "discipline": code,
                "discipline_name": anomaly.discipline.name_zh,
                "station": anomaly.place,
                "item": anomaly.observation_item,
                "onset": anomaly.onset_at.isoformat(),
                "state": anomaly.state,
                "state_label": str(states.get(anomaly.state, anomaly.state)),
                "rating": _rating(list(anomaly.ratings.all())),
                "url": reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
                "in_month": [key for key, on in flags.items() if on],
                "skill": _skill(skill.get(anomaly.channel_id)) if anomaly.channel_id else None,
            }
        )
    disciplines = sorted(by_discipline.values(), key=lambda d: (d.pop("order"), d["discipline"]))
    totals = {key: sum(d[key] for d in disciplines) for key in STATES}
    data = {
        "month": context.month.strftime("%Y-%m"),
        "by_discipline": disciplines,
        "totals": totals,
        "rows": rows,
        "columns": {
            "reported": _("reported in the month"),
            "verified": _("verified in the month"),
            "tracking": _("under tracking"),
            "closed": _("closed in the month"),
        },
    }
    return Compiled(data=data, n_events=None, figures=[])
