"""Writes of the forecast-skill test: a bureau's parameters, and the scores of the channels it
reads (computed by the daily beat job and on demand).

``score_bureau(bureau)`` scores, as the bureau reads them (``bureau_reader``), every channel
with at least one alarm (``selectors.alarm_anomalies``): alarm windows [onset, onset + T
days] — the anomaly's onset and the discipline's forecast window, not its closing, which is
when the file was closed rather than when the signal ended —, target quakes M >= m within R
km of the channel's station, over the channel's observed period (its first stored day, its
instrument's installation or its station's opening, or its first alarm if earlier; until
now). The arithmetic is ``scoring.alarm_skill``. One row per bureau and channel, replaced on
each run; the rows of channels that no longer have an alarm are removed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import InvalidInput, PermissionDenied
from portal.selectors import user_by_id
from portal.services import audit_record, notify_user
from portal.tenancy import bureau_reader
from portal.workflow import register_labels

from . import permissions, selectors
from .models import SkillScore, SkillSettings
from .scoring import alarm_skill

if TYPE_CHECKING:
    from disciplines.models import Anomaly
    from observations.models import Channel
    from portal.models import Bureau
    from portal.tenancy import Actor

DAY_SECONDS = 86400.0

register_labels(
    {
        "skill_settings.update": gettext_lazy("forecast skill parameters changed"),
        "skill.recompute": gettext_lazy("forecast skill recompute asked for"),
    }
)


def _days(moment: dt.datetime) -> float:
    return moment.timestamp() / DAY_SECONDS


# --- parameters ---------------------------------------------------------------------------


@transaction.atomic
def skill_settings_update(
    *, actor: Actor, discipline: str, magnitude: float, radius_km: float, days: int
) -> SkillSettings:
    """Set the bureau's test parameters of one discipline (its admin only)."""
    if not permissions.can_manage_skill_settings(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau administrator changes these settings."))
    found = next((d for d in selectors.discipline_list() if d.code == discipline), None)
    if found is None:
        raise InvalidInput(_("Choose a discipline."), field="discipline")
    if not 0.0 <= magnitude <= 9.5:
        raise InvalidInput(_("Give a magnitude between 0 and 9.5."), field="magnitude")
    if not 0.0 < radius_km <= 2000.0:
        raise InvalidInput(_("Give a radius between 1 and 2000 km."), field="radius_km")
    if not 1 <= days <= 3650:
        raise InvalidInput(_("Give a number of days between 1 and 3650."), field="days")
    row, _created = SkillSettings.objects.update_or_create(
        bureau=actor.bureau,
        discipline=found,
        defaults={"magnitude": magnitude, "radius_km": radius_km, "days": days},
    )
    audit_record(
        actor=actor,
        action="skill_settings.update",
        target=row,
        extra={"discipline": discipline, "magnitude": magnitude, "radius_km": radius_km, "days": days},
    )
    return row


# --- scores -------------------------------------------------------------------------------


def _score_channel(
    *, bureau: Bureau, reader: Actor, channel: Channel, alarms: list[Anomaly], now: dt.datetime
) -> SkillScore | None:
    params = selectors.skill_params_for(bureau=bureau, discipline=channel.discipline)
    first_day = selectors.channel_first_day(channel=channel)
    start = min(a.onset_at for a in alarms)
    if first_day is not None:
        start = min(start, dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC))
    if start >= now:
        return None
    location = channel.station.location
    events = list(
        selectors.target_events(
            reader=reader,
            lon=location.x,
            lat=location.y,
            radius_km=params.radius_km,
            magnitude=params.magnitude,
            start=start,
            end=now,
        )
    )
    windows = [(_days(a.onset_at), _days(a.onset_at) + params.days) for a in alarms]
    result = alarm_skill(
        windows, [_days(e.origin_time) for e in events], period_start=_days(start), period_end=_days(now)
    )
    row, _created = SkillScore.objects.update_or_create(
        bureau=bureau,
        channel=channel,
        defaults={
            "discipline": channel.discipline,
            "magnitude": params.magnitude,
            "radius_km": params.radius_km,
            "days": params.days,
            "period_start": start,
            "period_end": now,
            "alarms": result.n_alarms,
            "hits": result.hits,
            "false_alarms": result.false_alarms,
            "quakes": result.n_quakes,
            "quakes_hit": result.quakes_hit,
            "misses": result.misses,
            "alarm_fraction": result.tau,
            "miss_rate": result.nu,
            "r_score": result.r_score,
            "r0": result.r0,
            "gain": result.gain,
            "hit_anomaly_ids": [alarms[i].pk for i in result.hit_alarms],
            "false_alarm_anomaly_ids": [alarms[i].pk for i in result.false_alarm_indexes],
            "hit_event_ids": [events[i].pk for i in result.hit_quakes],
            "missed_event_ids": [events[i].pk for i in result.missed_quakes],
            "computed_at": now,
        },
    )
    return row


@transaction.atomic
def score_bureau(*, bureau: Bureau, now: dt.datetime | None = None) -> int:
    """Score every channel with an alarm, as ``bureau`` reads them; returns the rows stored."""
    now = now or timezone.now()
    reader = bureau_reader(bureau)
    by_channel: dict[int, list[Anomaly]] = defaultdict(list)
    channels: dict[int, Channel] = {}
    for anomaly in selectors.alarm_anomalies(reader=reader):
        channel = anomaly.channel
        if channel is None:  # ALARM_Q asks for a channel: never the case
            continue
        by_channel[channel.pk].append(anomaly)
        channels[channel.pk] = channel
    kept = []
    for channel_id, alarms in by_channel.items():
        if _score_channel(bureau=bureau, reader=reader, channel=channels[channel_id], alarms=alarms, now=now):
            kept.append(channel_id)
    SkillScore.objects.filter(bureau=bureau).exclude(channel_id__in=kept).delete()
    return len(kept)


def score_all_bureaus(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: every active bureau's scores; rows stored per bureau code."""
    return {bureau.code: score_bureau(bureau=bureau, now=now) for bureau in selectors.active_bureaus()}


def recompute_request(*, actor: Actor) -> None:
    """Ask for the bureau's scores now (its admin or an expert): a worker computes them and
    tells the person when they are ready."""
    if not permissions.can_recompute_skill(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only the bureau's administrator or a discipline expert asks for this."))
    from .tasks import skill_recompute_task

    bureau_id, user_id = actor.bureau.pk, actor.user.pk
    audit_record(actor=actor, action="skill.recompute", target=actor.bureau)
    transaction.on_commit(lambda: skill_recompute_task.delay(bureau_id=bureau_id, user_id=user_id))


def recompute_for(*, bureau_id: int, user_id: int | None) -> int:
    """The worker's part of a recompute: score the bureau, then tell who asked (in the
    portal's language, as the worker stores every message)."""
    bureau = selectors.bureau_by_id(bureau_id=bureau_id)
    if bureau is None:
        return 0
    stored = score_bureau(bureau=bureau)
    user = user_by_id(user_id=user_id) if user_id is not None else None
    if user is not None:
        notify_user(
            user=user,
            bureau=bureau,
            kind="skill.recomputed",
            title=_("Forecast skill recomputed"),
            body=_("%(count)d channels scored.") % {"count": stored},
            url=reverse("skill:ranking"),
        )
    return stored
