"""Demo of the forecast-skill test: an anomaly history on a few demo channels of JX and NM,
then every demo bureau's scores, so the ranking has rows with hits, misses and false alarms.

For each channel of ``CHANNELS`` (found by station and item code, as the observations demo
makes them) the demo adds, once (marked ``product_reference = "demo:skill"``), historical
precursory anomalies assessed and closed by the discipline group (so national units read
them too): one 40 days before the first target quake near the station (a hit) and one at
a time no target quake followed within the window (a false alarm); later target quakes are
left uncovered (misses). Channels with no target quake nearby get two false alarms. The
scores are then computed for JX, NM and CENC (replaced on every run: idempotent).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from disciplines.models import Anomaly, VerificationReport
from observations.models import Channel
from portal.models import Bureau, User
from portal.tenancy import bureau_reader

from . import selectors, services

MARK = "demo:skill"
CHANNELS = [
    ("JX", "JX-XS", "WL"),
    ("JX", "JX-YC", "WL"),
    ("JX", "JX-FZ", "GM_Z"),
    ("JX", "JX-HC", "STRAIN_L"),
    ("NM", "NM-TL", "WL"),
    ("NM", "NM-ED", "RN_W"),
    ("NM", "NM-MZ", "GM_Z"),
    ("NM", "NM-WJ", "STRAIN_B"),
]
HISTORY_DAYS = 3 * 365
LEAD_DAYS = 40


def _anomaly(channel: Channel, onset: dt.datetime, user: User) -> None:
    anomaly = Anomaly.objects.create(
        bureau=channel.bureau,
        source=Anomaly.Source.EXPERT,
        kind="instrumental",
        station=channel.station.name_zh,
        observation_item=channel.item.name_zh,
        channel=channel,
        discipline=channel.discipline,
        onset_at=onset,
        description="历史前兆异常(演示)",
        location=channel.station.location,
        state=Anomaly.State.CLOSED,
        reported_by=user,
        product_reference=MARK,
        verified_at=onset + dt.timedelta(days=5),
        assessed_at=onset + dt.timedelta(days=8),
        decision=Anomaly.Decision.CLOSE,
        closed_at=onset + dt.timedelta(days=200),
    )
    VerificationReport.objects.create(
        bureau=channel.bureau,
        anomaly=anomaly,
        observation=f"{channel.station.name_zh} {channel.item.name_zh}",
        onset_at=onset,
        conclusion=VerificationReport.Conclusion.PRECURSORY,
        verifier=user,
        submitted_at=onset + dt.timedelta(days=5),
    )


def _history(channel: Channel, now: dt.datetime) -> int:
    user = User.objects.filter(username=f"{channel.bureau.code.lower()}_admin").first()
    if user is None:
        return 0
    params = selectors.skill_params_for(bureau=channel.bureau, discipline=channel.discipline)
    location = channel.station.location
    start = now - dt.timedelta(days=HISTORY_DAYS)
    quakes = list(
        selectors.target_events(
            reader=bureau_reader(channel.bureau),
            lon=location.x,
            lat=location.y,
            radius_km=params.radius_km,
            magnitude=params.magnitude,
            start=start,
            end=now,
        )
    )
    window = dt.timedelta(days=params.days)
    onsets = []
    if quakes:
        onsets.append(quakes[0].origin_time - dt.timedelta(days=LEAD_DAYS))
    # false alarms: the earliest quiet starts, a window apart, no quake within their window
    candidate = start + dt.timedelta(days=30)
    while len(onsets) < 2 and candidate + window < now:
        quiet = not any(candidate <= q.origin_time <= candidate + window for q in quakes)
        if quiet and all(abs((candidate - o).days) > params.days for o in onsets):
            onsets.append(candidate)
        candidate += dt.timedelta(days=30)
    for onset in onsets:
        _anomaly(channel, onset, user)
    return len(onsets)


def seed(stdout: Any) -> None:
    now = timezone.now().replace(microsecond=0)
    added = 0
    for bureau_code, station, item in CHANNELS:
        channel = (
            Channel.objects.filter(bureau__code=bureau_code, station__code=station, item__code=item)
            .select_related("station", "item", "discipline", "bureau")
            .first()
        )
        if channel is None or Anomaly.objects.filter(channel=channel, product_reference=MARK).exists():
            continue
        added += _history(channel, now)
    stdout.write(f"skill: {added} historical anomalies on demo channels\n")
    for code in ("JX", "NM", "CENC"):
        bureau = Bureau.objects.filter(code=code).first()
        if bureau is not None:
            stored = services.score_bureau(bureau=bureau, now=now)
            stdout.write(f"skill: {code} {stored} channels scored\n")
