"""Reads of recognition rules, their detections and what their evaluation needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Q, QuerySet

from observations.models import Channel, SeriesDay
from observations.selectors import channel_get, channel_list
from portal.exceptions import NotFound
from portal.tenancy import bureau_reader, system_read
from products.methods.registry import METHODS

from .models import Detection, RecognitionRule, RuleChannelState, RuleState
from .spans import RULE_METHODS

if TYPE_CHECKING:
    import datetime as dt

    from disciplines.models import Anomaly
    from portal.tenancy import Actor
    from products.methods.spec import Method

# How a detection's anomaly ended, by its submitted verification report's conclusion:
# interference is a false alarm, a precursory anomaly a confirmed one; the rest (no report
# yet, undetermined) are pending (``detection_outcome``, and the counts of ``_with_counts``).


def _with_counts(rules: QuerySet[RecognitionRule]) -> QuerySet[RecognitionRule]:
    submitted = Q(detections__anomaly__verification__submitted_at__isnull=False)
    conclusion = "detections__anomaly__verification__conclusion"
    return rules.annotate(
        n_detections=Count("detections", distinct=True),
        n_false_alarms=Count(
            "detections", filter=submitted & Q(**{conclusion: "interference"}), distinct=True
        ),
        n_confirmed=Count("detections", filter=submitted & Q(**{conclusion: "precursory"}), distinct=True),
    )


def rule_list(
    *, actor: Actor | None, discipline: str | None = None, state: str | None = None
) -> QuerySet[RecognitionRule]:
    """Rules ``actor`` reads, with their counts of detections, false alarms and confirmed ones."""
    rules = RecognitionRule.objects.visible_to(actor).select_related("discipline", "bureau", "created_by")
    if discipline:
        rules = rules.filter(discipline__code=discipline)
    if state:
        rules = rules.filter(state=state)
    return _with_counts(rules).order_by("bureau__code", "name", "id")


def rule_get(*, actor: Actor | None, rule_id: int) -> RecognitionRule:
    rule = (
        _with_counts(
            RecognitionRule.objects.visible_to(actor).select_related("discipline", "bureau", "created_by")
        )
        .filter(pk=rule_id)
        .first()
    )
    if rule is None:
        raise NotFound()
    return rule


@system_read("the detections of a rule the caller read through rule_get")
def rule_detections(*, rule: RecognitionRule) -> QuerySet[Detection]:
    return (
        Detection.objects.filter(rule=rule)
        .select_related("channel__station", "channel__item", "run", "anomaly__verification")
        .order_by("-start", "-id")
    )


@system_read("the per-channel states of a rule the caller read through rule_get")
def rule_channel_states(*, rule: RecognitionRule) -> QuerySet[RuleChannelState]:
    return RuleChannelState.objects.filter(rule=rule).select_related(
        "channel__station", "channel__item", "last_run"
    )


def detection_outcome(detection: Detection) -> str:
    """``false_alarm``, ``confirmed`` or ``pending``."""
    report = getattr(detection.anomaly, "verification", None)
    if report is None or report.submitted_at is None:
        return "pending"
    return {"interference": "false_alarm", "precursory": "confirmed"}.get(report.conclusion, "pending")


def rule_channels(*, rule: RecognitionRule) -> list[Channel]:
    """The channels a rule reads: those chosen, else every active channel of its item in its
    bureau; read as the rule's bureau reads them."""
    reader = bureau_reader(rule.bureau)
    chosen = [c for c in channel_list(actor=reader, bureau=rule.bureau.code) if c.pk in _chosen_ids(rule)]
    if chosen or not rule.item_code:
        return sorted(chosen, key=lambda c: c.pk)
    return list(
        channel_list(actor=reader, bureau=rule.bureau.code, item=rule.item_code)
        .filter(is_active=True)
        .order_by("pk")
    )


@system_read("the chosen channels of a rule the caller holds")
def _chosen_ids(rule: RecognitionRule) -> set[int]:
    return set(
        RecognitionRule.channels.through.objects.filter(recognitionrule_id=rule.pk).values_list(
            "channel_id", flat=True
        )
    )


def channel_options(*, actor: Actor | None, discipline: str | None) -> QuerySet[Channel]:
    """The channels a person may pick for a rule: their bureau's, of the discipline, active."""
    bureau = actor.bureau.code if actor is not None and actor.bureau is not None else "-"
    return (
        channel_list(actor=actor, bureau=bureau, discipline=discipline)
        .filter(is_active=True)
        .order_by("station__code", "item__code", "orientation")
    )


def channel_for_rule(*, actor: Actor | None, channel_id: int) -> Channel:
    return channel_get(actor=actor, channel_id=channel_id)


def item_codes(*, discipline: str | None = None) -> list[tuple[str, str]]:
    from observations.selectors import item_list

    items = item_list()
    if discipline:
        items = items.filter(discipline__code=discipline)
    return [(i.code, f"{i.code} {i.name_zh}") for i in items.order_by("order", "code")]


def rule_methods(discipline: str | None = None) -> list[Method]:
    """The series methods a rule may use (one channel a run), of ``discipline`` when given."""
    methods = [METHODS[name] for name in RULE_METHODS]
    return [m for m in methods if discipline is None or m.discipline == discipline]


@system_read("the rule evaluation task holds a rule id, as the system")
def rule_for_worker(*, rule_id: int) -> RecognitionRule | None:
    return (
        RecognitionRule.objects.select_related("bureau", "discipline", "created_by")
        .filter(pk=rule_id)
        .first()
    )


@system_read("the hourly job finds, in every bureau, the active rules whose channels' data changed")
def rules_with_new_data() -> list[tuple[int, int]]:
    """``(bureau id, rule id)`` of the active rules with a channel whose stored days changed
    after the rule last evaluated it (or that it never evaluated)."""
    active = RecognitionRule.objects.filter(state=RuleState.ACTIVE).select_related("bureau").order_by("pk")
    return [(rule.bureau_id, rule.pk) for rule in active if changed_channels(rule=rule)]


@system_read("the evaluation compares a rule's channels' newest stored change with what it last saw")
def changed_channels(*, rule: RecognitionRule) -> list[int]:
    """Ids of the rule's channels with stored days changed since its last evaluation of them."""
    channels = [c.pk for c in rule_channels(rule=rule)]
    changed = data_changed_at(channel_ids=channels)
    seen = dict(
        RuleChannelState.objects.filter(rule=rule, channel_id__in=channels).values_list(
            "channel_id", "data_changed_at"
        )
    )
    out = []
    for pk in channels:
        last_seen = seen.get(pk)
        if pk in changed and (last_seen is None or changed[pk] > last_seen):
            out.append(pk)
    return out


@system_read("the newest change and last day of the stored days of channels a rule reads")
def data_changed_at(*, channel_ids: list[int]) -> dict[int, dt.datetime]:
    rows = (
        SeriesDay.objects.filter(channel_id__in=channel_ids)
        .values("channel_id")
        .annotate(changed=Max("updated_at"))
        .values_list("channel_id", "changed")
    )
    return dict(rows)


@system_read("the last stored day of a channel a rule reads")
def channel_last_day(*, channel_id: int) -> dt.date | None:
    return SeriesDay.objects.filter(channel_id=channel_id).aggregate(last=Max("day"))["last"]


@system_read("the detection behind an anomaly the page already read through visible_to")
def detection_for_anomaly(*, anomaly: Anomaly) -> Detection | None:
    return Detection.objects.select_related("rule", "run").filter(anomaly=anomaly).first()


def params_shown(rule: RecognitionRule) -> list[tuple[str, Any]]:
    return sorted(rule.params.items())
