"""Reads of the forecast-skill test: the parameters, the alarms and target quakes a bureau may
score, and the stored scores (every read through ``visible_to``).

**Which anomalies are alarms** (``ALARM_Q``, applied to the anomalies the reading bureau may
read): an anomaly seen in a channel (``Anomaly.channel`` set) that is

* a verified precursory anomaly: its verification report was submitted with the conclusion
  "precursory anomaly" (前兆异常), whatever happened after (tracking or closed); or
* a rule's detection (``source == "product"``) not judged otherwise: counted from its
  creation, unless its submitted verification concluded "interference" (干扰; instrument
  faults and environmental causes are recorded as interference) or "undetermined".

Excluded therefore: anomalies judged interference (or fault), those judged undetermined, and
people's reports still unverified (reported, returned, verifying). A province reads all of its
own anomalies; a national unit only the provinces' published (assessed) ones, by
``Anomaly.PUBLISHED_Q`` through ``visible_to`` — so a national unit's score of a province's
channel is computed from published material only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Min, Q, QuerySet

from catalog.models import Event
from catalog.selectors import within_km
from disciplines.models import Anomaly, VerificationReport
from observations.models import Channel, SeriesDay
from portal.exceptions import NotFound
from portal.models import Bureau, Discipline
from portal.tenancy import system_read

from .models import DEFAULT_PARAMS, FALLBACK_PARAMS, SkillScore, SkillSettings

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor

Conclusion = VerificationReport.Conclusion
ALARM_Q = Q(channel__isnull=False) & (
    Q(verification__submitted_at__isnull=False, verification__conclusion=Conclusion.PRECURSORY)
    | (
        Q(source=Anomaly.Source.PRODUCT)
        & ~Q(
            verification__submitted_at__isnull=False,
            verification__conclusion__in=[Conclusion.INTERFERENCE, Conclusion.UNDETERMINED],
        )
    )
)


# --- parameters ---------------------------------------------------------------------------


def discipline_list() -> QuerySet[Discipline]:
    return Discipline.objects.order_by("order", "code")


@system_read("the bureau's own settings, for the system and the settings page")
def skill_params_for(*, bureau: Bureau | int, discipline: Discipline) -> SkillSettings:
    """The bureau's parameters of ``discipline``: its stored row, or an unsaved row with the
    shipped defaults (``models.DEFAULT_PARAMS``)."""
    bureau_id = bureau if isinstance(bureau, int) else bureau.pk
    found = SkillSettings.objects.filter(bureau_id=bureau_id, discipline=discipline).first()
    if found is not None:
        return found
    magnitude, radius, days = DEFAULT_PARAMS.get(discipline.code, FALLBACK_PARAMS)
    return SkillSettings(
        bureau_id=bureau_id, discipline=discipline, magnitude=magnitude, radius_km=radius, days=days
    )


def skill_params_all(*, bureau: Bureau | int) -> list[SkillSettings]:
    """One row per discipline, in the disciplines' order."""
    return [skill_params_for(bureau=bureau, discipline=d) for d in discipline_list()]


# --- what a bureau scores -------------------------------------------------------------------


def alarm_anomalies(*, reader: Actor) -> QuerySet[Anomaly]:
    """The anomalies that are alarms, of those ``reader`` may read (see the module's docstring)."""
    return (
        Anomaly.objects.visible_to(reader)
        .filter(ALARM_Q)
        .select_related("channel__station", "channel__item", "channel__instrument", "discipline")
        .order_by("channel_id", "onset_at", "id")
    )


def target_events(
    *,
    reader: Actor,
    lon: float,
    lat: float,
    radius_km: float,
    magnitude: float,
    start: dt.datetime,
    end: dt.datetime,
) -> QuerySet[Event]:
    """Earthquakes ``reader`` may read of M >= ``magnitude`` within ``radius_km`` (great circle)
    of a point, in [start, end], oldest first (deleted solutions left out)."""
    qs = within_km(Event.objects.visible_to(reader), lon=lon, lat=lat, radius_km=radius_km)
    return (
        qs.filter(
            magnitude__gte=magnitude - 1e-9,
            origin_time__gte=start,
            origin_time__lte=end,
            event_type="earthquake",
        )
        .exclude(status="deleted")
        .order_by("origin_time", "id")
    )


@system_read("when a channel the caller scores began to observe: a date, not its data")
def channel_first_day(*, channel: Channel) -> dt.date | None:
    """The first stored day of the channel's series, its instrument's installation or its
    station's opening, whichever is earliest; None when none is known."""
    first = SeriesDay.objects.filter(channel=channel).aggregate(first=Min("day"))["first"]
    known = [
        d
        for d in (
            first,
            channel.instrument.installed_on if channel.instrument is not None else None,
            channel.station.opened_on,
        )
        if d is not None
    ]
    return min(known) if known else None


def active_bureaus() -> QuerySet[Bureau]:
    return Bureau.objects.filter(is_active=True).order_by("code")


def bureau_by_id(*, bureau_id: int) -> Bureau | None:
    return Bureau.objects.filter(pk=bureau_id).first()


# --- the stored scores ----------------------------------------------------------------------


def score_list(*, actor: Actor | None, discipline: str = "", bureau: str = "") -> QuerySet[SkillScore]:
    """The scores ``actor``'s bureau computed, best R first (unscored ones last); ``bureau``
    narrows to the channels of one bureau (a national unit choosing a province). Each bureau
    has its own score of a channel (from what it reads): a system admin, who may read every
    bureau's, reads those of the bureau they act in, and none without one."""
    qs = SkillScore.objects.visible_to(actor).select_related(
        "channel__station", "channel__item", "channel__bureau", "discipline"
    )
    qs = qs.filter(bureau_id=actor.bureau_id) if actor is not None and actor.bureau_id else qs.none()
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    if bureau:
        qs = qs.filter(channel__bureau__code=bureau)
    return qs.order_by("-r_score", "-gain", "channel__station__code", "channel_id")


def score_get(*, actor: Actor | None, channel_id: int) -> SkillScore:
    """The score of a channel as ``actor``'s bureau computed it; NotFound when there is none
    or the actor may not read it (another province's channel alike)."""
    try:
        return score_list(actor=actor).get(channel_id=channel_id)
    except SkillScore.DoesNotExist:
        raise NotFound from None


def scores_for_channels(*, actor: Actor | None, channel_ids: list[int]) -> dict[int, SkillScore]:
    """The scores of the channels named (those ``actor`` has), by channel id."""
    return {s.channel_id: s for s in score_list(actor=actor).filter(channel_id__in=channel_ids)}


def score_bureaus(*, actor: Actor | None) -> list[Bureau]:
    """The bureaus whose channels ``actor``'s scores cover (the page's bureau filter)."""
    ids = score_list(actor=actor).values_list("channel__bureau_id", flat=True).distinct()
    return list(Bureau.objects.filter(pk__in=ids).order_by("code"))


def score_anomalies(*, actor: Actor | None, score: SkillScore) -> list[Anomaly]:
    """The score's alarms (hits and false alarms) that ``actor`` may read, oldest first."""
    ids = [*score.hit_anomaly_ids, *score.false_alarm_anomaly_ids]
    return list(
        Anomaly.objects.visible_to(actor)
        .filter(pk__in=ids)
        .select_related("discipline")
        .order_by("onset_at", "id")
    )


def score_events(*, actor: Actor | None, score: SkillScore) -> list[Event]:
    """The score's target quakes (predicted and missed) that ``actor`` may read, oldest first."""
    ids = [*score.hit_event_ids, *score.missed_event_ids]
    return list(Event.objects.visible_to(actor).filter(pk__in=ids).order_by("origin_time", "id"))
