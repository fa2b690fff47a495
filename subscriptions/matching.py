"""Which quakes a subscription hears of, and when: pure functions, no database.

After USGS's Earthquake Notification Service (ENS, https://earthquake.usgs.gov/ens/help):
separate day and night magnitude thresholds, quiet hours, and aftershock suppression so that
a sequence does not flood a phone. The region test (inside the drawn polygon) is the
database's (PostGIS ``ST_Contains``); what is here is decided on plain values.

* **Day and night** by Beijing local time: night is ``NIGHT_START`` to ``NIGHT_END``.
* **Quiet hours** ``[start, end)`` in Beijing time (may wrap midnight): a message falling in
  them is held until they end, or kept for the digest when the person chose one. A digest
  gathers each hour's messages (and those of the quiet hours) into one message.
* **Aftershock suppression** (ENS-like; the numbers are ours): a mainshock of M ≥
  ``MAINSHOCK_MIN`` opens a zone of radius its subsurface rupture length by Wells &
  Coppersmith (1994, BSSA 84(4), Table 2A, all slip types: log10 RLD = −2.44 + 0.59 M), at
  least ``ZONE_MIN_KM``, for N days by its size (M5: 7 d, M6: 14 d, M7 and above: 30 d).
  Within the zone and window an event below M(main) − 2 is not sent.
* **Updates**: a new version of an event already sent is sent as an update, whatever the
  thresholds and suppression say (the person was told the old figures).
* **Products** not about a quake's figures (a monthly trend report, an anomaly) have no
  magnitude: only :func:`schedule` (quiet hours, digest) applies to them; a product about a
  quake (a post-quake opinion) passes the thresholds of its quake (:func:`below_threshold`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

BEIJING = dt.timezone(dt.timedelta(hours=8))
NIGHT_START = dt.time(22, 0)
NIGHT_END = dt.time(7, 0)
MAINSHOCK_MIN = 5.0
ZONE_MIN_KM = 10.0
SUPPRESS_BELOW = 2.0
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Quake:
    id: int
    time: dt.datetime
    longitude: float
    latitude: float
    magnitude: float


@dataclass(frozen=True)
class Rule:
    min_magnitude: float
    min_magnitude_night: float
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    digest: bool = False
    suppress_aftershocks: bool = True


@dataclass(frozen=True)
class Decision:
    """``send``/``hold``/``digest`` or ``skip``; ``kind`` new or update; ``reason`` for a skip."""

    action: str
    kind: str = "new"
    deliver_at: dt.datetime | None = None
    reason: str = ""


def _in_span(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    """``moment`` within ``[start, end)``; a span with start after end wraps midnight."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def is_night(when: dt.datetime) -> bool:
    return _in_span(when.astimezone(BEIJING).time(), NIGHT_START, NIGHT_END)


def threshold(rule: Rule, when: dt.datetime) -> float:
    return rule.min_magnitude_night if is_night(when) else rule.min_magnitude


def quiet_until(rule: Rule, when: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours ``when`` falls in (aware, UTC), or None when it does not."""
    if rule.quiet_start is None or rule.quiet_end is None:
        return None
    local = when.astimezone(BEIJING)
    if not _in_span(local.time(), rule.quiet_start, rule.quiet_end):
        return None
    end = dt.datetime.combine(local.date(), rule.quiet_end, tzinfo=BEIJING)
    if end <= local:
        end += dt.timedelta(days=1)
    return end.astimezone(dt.UTC)


def next_hour(when: dt.datetime) -> dt.datetime:
    """The next full hour after ``when``: a digest gathers an hour's messages."""
    return when.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def rupture_length_km(magnitude: float) -> float:
    """Subsurface rupture length, Wells & Coppersmith (1994) Table 2A, all slip types."""
    return 10 ** (-2.44 + 0.59 * magnitude)


def zone_radius_km(magnitude: float) -> float:
    return max(rupture_length_km(magnitude), ZONE_MIN_KM)


def suppression_days(magnitude: float) -> int:
    """Days a mainshock suppresses its small aftershocks (ENS-like; ours). 0: not a mainshock."""
    if magnitude < MAINSHOCK_MIN:
        return 0
    if magnitude < 6.0:
        return 7
    if magnitude < 7.0:
        return 14
    return 30


def distance_km(a: Quake, b: Quake) -> float:
    """Great-circle distance (haversine, spherical Earth of radius 6371 km)."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def suppressing_mainshock(quake: Quake, earlier: list[Quake]) -> Quake | None:
    """The mainshock whose zone and window hold ``quake`` with it below M(main) − 2, if any."""
    for main in earlier:
        days = suppression_days(main.magnitude)
        if main.id == quake.id or not days:
            continue
        if not (main.time <= quake.time <= main.time + dt.timedelta(days=days)):
            continue
        if quake.magnitude >= main.magnitude - SUPPRESS_BELOW:
            continue
        if distance_km(main, quake) <= zone_radius_km(main.magnitude):
            return main
    return None


def below_threshold(rule: Rule, quake: Quake) -> bool:
    """The quake is smaller than the subscription's day or night threshold at its origin time."""
    return quake.magnitude < threshold(rule, quake.time)


def schedule(rule: Rule, *, now: dt.datetime, kind: str = "new") -> Decision:
    """When a message decided at ``now`` goes: at once, at the end of the quiet hours (held,
    or kept for the digest), or with the next hour's digest."""
    until = quiet_until(rule, now)
    if until is not None:
        return Decision("digest" if rule.digest else "hold", kind=kind, deliver_at=until)
    if rule.digest:
        return Decision("digest", kind=kind, deliver_at=next_hour(now))
    return Decision("send", kind=kind, deliver_at=now)


def decide(
    rule: Rule, quake: Quake, *, now: dt.datetime, earlier: list[Quake], sent_before: bool
) -> Decision:
    """What a subscription whose region holds ``quake`` does with it at ``now``.

    ``earlier``: the catalog's quakes before it (candidate mainshocks); ``sent_before``: an
    earlier version of this quake was already sent to this subscription.
    """
    if sent_before:
        return schedule(rule, now=now, kind="update")
    if below_threshold(rule, quake):
        return Decision("skip", reason="below threshold")
    if rule.suppress_aftershocks and suppressing_mainshock(quake, earlier) is not None:
        return Decision("skip", reason="aftershock suppressed")
    return schedule(rule, now=now, kind="new")
