"""A quake arrived: is it fresh, which bureaus must act, and with which rule. Decided here only.

The flow, from the SMS to what is made of it (every step a plain import or a task name):

1. ``catalog.services.quick_reports.quick_report_submit`` (or an import, or a solution entered by hand)
   stores the event and calls :func:`event_arrived` with its id.
2. :func:`event_arrived` enqueues, on commit, the one task ``catalog.event_arrived``
   (``catalog.tasks.event_arrived_task``): the request that posted the SMS runs no reaction.
3. That task calls :func:`decide`: it reads the event once, asks :func:`is_fresh` and
   :func:`concerned_bureaus` once, and for every concerned bureau and every action of its
   :class:`~catalog.models.AlertRule` enqueues the reactions registered for the action,
   each a Celery task that takes ``event_id`` and ``bureau_id`` and retries on its own:

   * ``topic_report`` -> ``reports.topic_report_for_event`` (then ``reports.topic_report_build``
     and, when the rule says ``pushes``, ``reports.push_send`` per channel);
   * ``emergency_meeting`` -> ``consultations.open_emergency_meeting``;
   * ``post_quake_case`` -> ``postquake.open_case`` (the bureau's post-quake trend case on its
     30-minute clock, which enqueues ``postquake.draft_case``, the first draft). This action
     has thresholds of its own on the rule (:func:`post_quake_wanted`: in or near the
     jurisdiction, anywhere in China, abroad); the others share the rule's threshold and distance.

The reactions are registered from the upper apps' ``AppConfig.ready()`` with
:func:`register_reaction` (catalog sits below reports, consultations and postquake and imports
none of them). The same goes for what the event page lists as made from an event
(:func:`register_outcomes`), for what hears of every concern whatever the rule's
actions (:func:`register_listener`: flows, whose quake triggers then apply their own
region and magnitude filters), for what hears of every fresh arrival once, whether it
concerns a bureau or none (:func:`register_arrival_listener`: subscriptions, whose regions
are the people's own and reach quakes abroad or below every bureau's threshold), and for who takes an action over from the portal's own
reaction for a bureau (:func:`register_replacement`: a bureau whose enabled flow makes the
special-topic report on this quake gets that flow's report, not a second one).

Freshness is one rule for every source: an event whose origin time lies within
``settings.EVENT_FRESH_FOR`` (default 72 h) before now, and not more than
``FRESH_AHEAD`` after it, is an arrival. A live import of a quake that just happened is
one; the old events of an imported catalog are history (imports do not even announce
them, see ``catalog.services.import_writer``), and so is a late revision of an old quake.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import territory
from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Bureau, Role
from portal.services import audit_record

from .models import (
    DEFAULT_THRESHOLD,
    MAX_ALERT_DISTANCE_KM,
    AlertAction,
    AlertRule,
    Event,
    EventStatus,
    post_quake_defaults,
)
from .selectors import alert_rules_by_bureau

if TYPE_CHECKING:
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

DEFAULT_FRESH_FOR = dt.timedelta(hours=72)
#: Clocks drift and a quick report's origin may be up to an hour after its receipt
#: (catalog.services.quick_reports refuses later ones): an origin further ahead is a typo, not a quake.
FRESH_AHEAD = dt.timedelta(hours=1)


# --- freshness ---------------------------------------------------------------------------


def fresh_for() -> dt.timedelta:
    value = getattr(settings, "EVENT_FRESH_FOR", DEFAULT_FRESH_FOR)
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=float(value))


def fresh_window(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """(earliest, latest) origin time of a fresh event."""
    now = now or timezone.now()
    return now - fresh_for(), now + FRESH_AHEAD


def is_fresh_time(origin_time: dt.datetime, now: dt.datetime | None = None) -> bool:
    earliest, latest = fresh_window(now)
    return earliest <= origin_time <= latest


def is_fresh(event: Event, now: dt.datetime | None = None) -> bool:
    """The quake just happened: a deleted event, or one without a magnitude, never is."""
    if event.status == EventStatus.DELETED or event.magnitude is None:
        return False
    return is_fresh_time(event.origin_time, now)


# --- the rule and who is concerned --------------------------------------------------------


def default_rule(bureau: Bureau) -> AlertRule | None:
    """The unsaved rule of a bureau without one: provinces act with the defaults; national
    units and centres (the whole country is theirs) only with a saved rule."""
    if bureau.kind != Bureau.Kind.PROVINCIAL:
        return None
    return AlertRule.for_bureau(bureau)


def alert_rule_for(*, bureau: Bureau) -> AlertRule | None:
    """The bureau's rule: the saved one, else the default (None: the bureau never acts)."""
    return AlertRule.objects.filter(bureau=bureau).first() or default_rule(bureau)


@dataclass(frozen=True)
class Concern:
    """A bureau the quake concerns, the rule that says so, and where the quake lies.

    ``alerted``: the rule asks for a special-topic report or an emergency meeting and the quake
    reaches its threshold within its distance (what listeners hear of); ``post_quake``: it
    reaches one of the rule's post-quake thresholds (:func:`post_quake_wanted`). Either makes
    a concern.
    """

    bureau: Bureau
    rule: AlertRule
    distance_km: float  # from the jurisdiction; 0 inside it
    inside: bool
    alerted: bool = True
    post_quake: bool = False

    @property
    def actions(self) -> list[str]:
        return [
            action
            for action in self.rule.actions
            if (self.post_quake if action == AlertAction.POST_QUAKE_CASE else self.alerted)
        ]


def _reaches(magnitude: Decimal, threshold: Decimal | None) -> bool:
    return threshold is not None and magnitude >= threshold


def post_quake_wanted(rule: AlertRule, *, magnitude: Decimal, distance_km: float, in_china: bool) -> bool:
    """Whether the quake opens the bureau's post-quake case: the rule asks for cases and the
    quake reaches one of its post-quake thresholds (each optional): in or near the
    jurisdiction (within ``post_quake_distance_km``), anywhere in China, or abroad."""
    if not rule.post_quake_case:
        return False
    near = distance_km <= rule.post_quake_distance_km + 0.001  # a metre's tolerance for the edge
    return (
        (near and _reaches(magnitude, rule.post_quake_min_magnitude))
        or (in_china and _reaches(magnitude, rule.post_quake_min_magnitude_china))
        or (not in_china and _reaches(magnitude, rule.post_quake_min_magnitude_abroad))
    )


def concerned_bureaus(event: Event) -> list[Concern]:
    """The bureaus that must act on ``event``, by code: its magnitude reaches their threshold
    and its epicentre lies inside their jurisdiction or within their distance of it, or it
    reaches one of their post-quake thresholds (:func:`post_quake_wanted`).

    Distances are PostGIS ``ST_Distance`` on geography (metres on the spheroid, 0 inside);
    in China or abroad is ``portal.territory.in_china``, asked once and only if a rule needs it.
    """
    if event.magnitude is None:
        return []
    magnitude = Decimal(str(event.magnitude))
    rules = alert_rules_by_bureau()
    point = Point(event.longitude, event.latitude, srid=4326)
    geography = GeometryField(geography=True, srid=4326)
    candidates = (
        Bureau.objects.filter(is_active=True, jurisdiction__isnull=False)
        .filter(Q(kind=Bureau.Kind.PROVINCIAL) | Q(pk__in=list(rules)))
        .annotate(
            distance=Distance(
                Cast("jurisdiction", output_field=geography),
                Cast(Value(point, output_field=geography), output_field=geography),
            )
        )
        .order_by("code")
    )
    china: list[bool] = []

    def in_china() -> bool:
        if not china:
            china.append(territory.in_china(event.latitude, event.longitude))
        return china[0]

    concerns = []
    for bureau in candidates:
        rule = rules.get(bureau.pk) or default_rule(bureau)
        if rule is None:
            continue
        km = bureau.distance.km
        alerted = (
            any(action != AlertAction.POST_QUAKE_CASE for action in rule.actions)
            and magnitude >= rule.threshold_magnitude
            and km <= rule.distance_km + 0.001  # a metre's tolerance for the edge itself
        )
        needs_territory = rule.post_quake_case and (
            rule.post_quake_min_magnitude_china is not None
            or rule.post_quake_min_magnitude_abroad is not None
        )
        post_quake = post_quake_wanted(
            rule, magnitude=magnitude, distance_km=km, in_china=in_china() if needs_territory else False
        )
        if alerted or post_quake:
            concerns.append(
                Concern(
                    bureau=bureau,
                    rule=rule,
                    distance_km=km,
                    inside=km <= 0.001,
                    alerted=alerted,
                    post_quake=post_quake,
                )
            )
    return concerns


# --- the flow -----------------------------------------------------------------------------


def event_arrived(*, event_id: int, created: bool, source: str) -> None:
    """The catalog stored an event or a new version of it: decide once it committed.

    Only one task is enqueued (ids only); ``created`` and ``source`` are for the log.
    """
    from .tasks import event_arrived_task

    logger.info("event %s arrived (%s, %s)", event_id, "new" if created else "new version", source)
    transaction.on_commit(lambda: event_arrived_task.delay(event_id=event_id))


class Reaction(Protocol):
    """A Celery task that acts for one bureau on one event."""

    name: str

    def delay(self, *, event_id: int, bureau_id: int) -> Any: ...


_REACTIONS: dict[str, list[Reaction]] = {}


def register_reaction(action: str, task: Reaction) -> Reaction:
    """``task`` runs for every concerned bureau whose rule asks for ``action``."""
    if action not in AlertAction.values:
        raise ValueError(f"unknown alert action {action!r}")
    tasks = _REACTIONS.setdefault(str(action), [])
    if all(t.name != task.name for t in tasks):
        tasks.append(task)
    return task


def reactions_for(action: str) -> list[Reaction]:
    return list(_REACTIONS.get(action, []))


Listener = Callable[[Event, Concern], None]
_LISTENERS: list[Listener] = []


def register_listener(func: Listener) -> Listener:
    """``func(event, concern)`` runs, on commit, for every concern of an arrival, whatever the
    bureau's rule asks for. Like a hook's callback it only enqueues a task with ids."""
    if func not in _LISTENERS:
        _LISTENERS.append(func)
    return func


ArrivalListener = Callable[[Event], None]
_ARRIVAL_LISTENERS: list[ArrivalListener] = []


def register_arrival_listener(func: ArrivalListener) -> ArrivalListener:
    """``func(event)`` runs, on commit, once for every fresh arrival (a new event or a new
    version), whether it concerns any bureau or none: a quake abroad, or one below every
    bureau's threshold. Like a listener it only enqueues a task with ids; it changes nothing
    of the decision (the concerns and their reactions)."""
    if func not in _ARRIVAL_LISTENERS:
        _ARRIVAL_LISTENERS.append(func)
    return func


Replacement = Callable[[Event, Concern], bool]
_REPLACEMENTS: dict[str, list[Replacement]] = {}


def register_replacement(action: str, predicate: Replacement) -> Replacement:
    """The reactions of ``action`` yield for a concern when ``predicate(event, concern)`` says
    that something else (a bureau's own flow) does the action on this quake for that bureau."""
    if action not in AlertAction.values:
        raise ValueError(f"unknown alert action {action!r}")
    predicates = _REPLACEMENTS.setdefault(str(action), [])
    if predicate not in predicates:
        predicates.append(predicate)
    return predicate


def replaced(action: str, event: Event, concern: Concern) -> bool:
    """Whether the bureau of ``concern`` does ``action`` itself on ``event`` (the one place
    that decides it: :func:`decide` leaves the portal's reactions of the action out then)."""
    for predicate in _REPLACEMENTS.get(action, []):
        try:
            if predicate(event, concern):
                return True
        except Exception:  # a broken replacement must never leave the bureau without its reaction
            logger.exception("replacement of %s for bureau %s failed", action, concern.bureau.pk)
    return False


@dataclass(frozen=True)
class Enqueued:
    task: str
    event_id: int
    bureau_id: int


def _later(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], None]:
    """``func(*args, **kwargs)`` as a commit callback (a function: Django logs a failing one by
    its ``__qualname__``, which a ``functools.partial`` lacks)."""

    def call() -> None:
        func(*args, **kwargs)

    return call


def decide(*, event_id: int) -> list[Enqueued]:
    """The one decision on an arrived event: enqueue each reaction its concerns call for.

    Called by the task ``catalog.event_arrived``. Running it again is harmless: every
    reaction is idempotent (one report per bureau and version, one meeting per bureau
    and event).
    """
    from .selectors import event_get_for_worker

    event = event_get_for_worker(event_id=event_id)
    if event is None or not is_fresh(event):
        return []
    concerns = concerned_bureaus(event)
    planned = [
        (task, Enqueued(task.name, event.pk, concern.bureau.pk))
        for concern in concerns
        for action in concern.actions
        if not replaced(action, event, concern)
        for task in reactions_for(action)
    ]
    for arrival_listener in _ARRIVAL_LISTENERS:
        transaction.on_commit(_later(arrival_listener, event), robust=True)
    for concern in concerns:
        if not concern.alerted:  # listeners hear of what the rule's threshold selects, as before
            continue
        for listener in _LISTENERS:
            transaction.on_commit(_later(listener, event, concern), robust=True)
    for task, job in planned:
        # Each its own message: one failing (or retrying) does not hold up the others.
        transaction.on_commit(_later(task.delay, event_id=job.event_id, bureau_id=job.bureau_id), robust=True)
    return [job for _task, job in planned]


# --- what was made of an event (the event page) --------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Something an app made of an event: a report, a meeting."""

    kind: str  # "report", "meeting", shown as the app's own label
    title: str
    url: str


OutcomeFunc = Callable[["Actor | None", Event], list[Outcome]]
_OUTCOMES: list[OutcomeFunc] = []


def register_outcomes(func: OutcomeFunc) -> OutcomeFunc:
    """``func(actor, event)`` lists what its app made of the event that the actor may read."""
    if func not in _OUTCOMES:
        _OUTCOMES.append(func)
    return func


def outcomes_for(*, actor: Actor | None, event: Event) -> list[Outcome]:
    found: list[Outcome] = []
    for func in _OUTCOMES:
        found.extend(func(actor, event))
    return found


# --- editing the rule ----------------------------------------------------------------------

RULE_FIELDS = (
    "threshold_magnitude",
    "distance_km",
    "topic_report",
    "pushes",
    "emergency_meeting",
    "post_quake_case",
    "post_quake_min_magnitude",
    "post_quake_distance_km",
    "post_quake_min_magnitude_china",
    "post_quake_min_magnitude_abroad",
)
#: The post-quake thresholds, each optional (None: not used).
POST_QUAKE_MAGNITUDES = (
    "post_quake_min_magnitude",
    "post_quake_min_magnitude_china",
    "post_quake_min_magnitude_abroad",
)


def can_edit_alert_rule(actor: Actor | None) -> bool:
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)


def alert_rule_get(*, actor: Actor) -> AlertRule:
    """The actor's bureau's rule to edit: the saved one or an unsaved one with the defaults."""
    if not can_edit_alert_rule(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau admin sets the bureau's alert rule."))
    return AlertRule.objects.filter(bureau=actor.bureau).first() or AlertRule.for_bureau(actor.bureau)


def _magnitude(value: Any, *, field: str) -> Decimal | None:
    """A threshold magnitude to one decimal, 0 to 9.9; None for none given."""
    if value is None or value == "":
        return None
    try:
        magnitude = Decimal(str(value))
    except ArithmeticError:
        raise InvalidInput(_("Give the magnitude as a number."), field=field) from None
    if not magnitude.is_finite() or not Decimal("0") <= magnitude <= Decimal("9.9"):
        raise InvalidInput(_("The magnitude must be between 0 and 9.9."), field=field)
    return magnitude.quantize(Decimal("0.1"))


def _distance(value: Any, *, field: str) -> float:
    try:
        km = float(value)
    except (TypeError, ValueError):
        km = -1.0
    if not 0 <= km <= MAX_ALERT_DISTANCE_KM:  # NaN fails too
        raise InvalidInput(
            _("The distance must be between 0 and %(max)d km.") % {"max": MAX_ALERT_DISTANCE_KM},
            field=field,
        )
    return km


@transaction.atomic
def alert_rule_save(*, actor: Actor, **data: Any) -> AlertRule:
    """Save the actor's bureau's alert rule (bureau admins)."""
    if not can_edit_alert_rule(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau admin sets the bureau's alert rule."))
    rule, _created = AlertRule.objects.select_for_update().get_or_create(
        bureau=actor.bureau, defaults=post_quake_defaults(actor.bureau.kind)
    )
    changed = []
    for name in RULE_FIELDS:
        if name in data and getattr(rule, name) != data[name]:
            setattr(rule, name, data[name])
            changed.append(name)
    threshold = _magnitude(rule.threshold_magnitude, field="threshold_magnitude")
    if threshold is None:
        raise InvalidInput(_("Give the magnitude as a number."), field="threshold_magnitude")
    rule.threshold_magnitude = threshold
    rule.distance_km = _distance(rule.distance_km, field="distance_km")
    for name in POST_QUAKE_MAGNITUDES:
        setattr(rule, name, _magnitude(getattr(rule, name), field=name))
    rule.post_quake_distance_km = _distance(rule.post_quake_distance_km, field="post_quake_distance_km")
    if rule.post_quake_case and all(getattr(rule, name) is None for name in POST_QUAKE_MAGNITUDES):
        raise InvalidInput(
            _("Give at least one post-quake magnitude, or do not open post-quake cases."),
            field="post_quake_min_magnitude",
        )
    rule.save()
    audit_record(
        actor=actor,
        action="alert_rule.save",
        target=rule,
        extra={
            "fields": changed,
            "threshold": str(rule.threshold_magnitude),
            "distance_km": rule.distance_km,
            "post_quake_case": rule.post_quake_case,
            **{name: _text(getattr(rule, name)) for name in POST_QUAKE_MAGNITUDES},
            "post_quake_distance_km": rule.post_quake_distance_km,
        },
    )
    return rule


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "DEFAULT_THRESHOLD",
    "Concern",
    "Outcome",
    "alert_rule_for",
    "concerned_bureaus",
    "decide",
    "event_arrived",
    "is_fresh",
    "post_quake_wanted",
    "register_arrival_listener",
    "register_listener",
    "register_outcomes",
    "register_reaction",
    "register_replacement",
    "replaced",
]
