"""Writes of recognition rules: setting them up, pausing and resuming them (``WORKFLOW``),
and evaluating them over their channels' series.

    active --pause--> paused --resume--> active      (the discipline's experts, the bureau admin)

Evaluation (``rule_evaluate``, called by the ``recognition.evaluate_rule`` task, ids only,
safe to repeat), per channel of the rule:

1. the window: ``window_days`` up to the end of the channel's last stored day (so a rerun on
   unchanged data asks for the same input and the product engine reuses its stored result,
   ``ProductRun.reused_from``);
2. a product run of the rule's method over that window, requested for the bureau and executed
   in this worker through the product engine (``run_request_for_bureau`` +
   ``run_execute``: provenance, input hash, QC exclusions, figures, its own job row);
3. the spans of the result (``recognition.spans``) persisting at least ``persist_days``;
4. per span: one overlapping or touching a detection of the same rule and channel whose
   anomaly is open extends it (audited on the anomaly, no new anomaly); one already covered by
   a detection changes nothing; otherwise (past any closed detection) a new anomaly of source
   "product" is reported through ``disciplines.services.anomalies.anomaly_create_record``,
   which notifies the discipline's experts exactly as for an expert's report.

The marker ``RuleChannelState.data_changed_at`` keeps the newest change of the channel's
stored days the evaluation saw; the hourly job evaluates only channels changed since.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disciplines.models import Anomaly
from disciplines.permissions import can_report_anomaly
from disciplines.selectors import discipline_experts
from disciplines.services.anomalies import anomaly_create_record
from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Discipline
from portal.services import audit_record, notify_user
from portal.tenancy import Actor, actor_for
from portal.timefmt import BEIJING
from portal.validators import clean_title
from portal.workflow import Transition, Workflow, register, register_labels, row_lock, transition
from products.methods.errors import InvalidParams
from products.methods.registry import validate_params
from products.models import ProductRun, RunStatus
from products.services.execution import run_execute
from products.services.runs import run_request_for_bureau

from . import selectors, spans
from .models import Detection, Direction, RecognitionRule, RuleChannelState, RuleState
from .permissions import can_create_rule, can_edit_rule, can_pause_rule

if TYPE_CHECKING:
    from observations.models import Channel

logger = logging.getLogger(__name__)

TIME_LIMIT = 1800  # seconds an evaluation of one rule may take (its task's hard limit)
SOFT_TIME_LIMIT = 1740
WINDOW_DAYS = (7, 3660)
PERSIST_DAYS = (1, 365)

_lock = row_lock(RecognitionRule, "bureau", "discipline")

WORKFLOW = register(
    Workflow(
        name="recognition_rule",
        model=RecognitionRule,
        state_field="state",
        noun=gettext_lazy("recognition rule"),
        lock=_lock,
        url=lambda rule: rule.get_absolute_url(),
        transitions={
            "pause": Transition(
                frozenset({RuleState.ACTIVE}),
                RuleState.PAUSED,
                can_pause_rule,
                gettext_lazy("paused"),
                gettext_lazy("Pause"),
            ),
            "resume": Transition(
                frozenset({RuleState.PAUSED}),
                RuleState.ACTIVE,
                can_pause_rule,
                gettext_lazy("resumed"),
                gettext_lazy("Resume"),
            ),
        },
    )
)
register_labels(
    {
        "recognition_rule.create": gettext_lazy("rule set up"),
        "recognition_rule.update": gettext_lazy("rule changed"),
        "recognition_rule.run": gettext_lazy("run requested"),
        "recognition.extend": gettext_lazy("extended by a recognition rule"),
    }
)


# --- setting rules up ----------------------------------------------------------------------


def _int_in(value: Any, bounds: tuple[int, int], field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
        raise InvalidInput(_("Give a whole number."), field=field)
    if not bounds[0] <= int(value) <= bounds[1]:
        raise InvalidInput(
            _("Give a number from %(low)d to %(high)d.") % {"low": bounds[0], "high": bounds[1]}, field=field
        )
    return int(value)


def _clean(actor: Actor, data: dict[str, Any], rule: RecognitionRule | None) -> dict[str, Any]:
    """The rule's fields from ``data`` (a rule's current values fill what is not given);
    InvalidInput naming the first bad field."""
    current: dict[str, Any] = (
        {
            "name": rule.name,
            "discipline": rule.discipline.code,
            "method": rule.method,
            "params": rule.params,
            "item_code": rule.item_code,
            "window_days": rule.window_days,
            "threshold": rule.threshold,
            "direction": rule.direction,
            "persist_days": rule.persist_days,
        }
        if rule is not None
        else {
            "params": {},
            "item_code": "",
            "window_days": 90,
            "threshold": None,
            "direction": "above",
            "persist_days": 3,
        }
    )
    merged = {**current, **{k: v for k, v in data.items() if k != "channels"}}
    out: dict[str, Any] = {"name": clean_title(merged.get("name"), field="name", max_length=120)}
    code = merged.get("discipline")
    discipline = Discipline.objects.filter(code=code).first() if isinstance(code, str) else None
    if discipline is None:
        raise InvalidInput(_("Choose a discipline."), field="discipline")
    if not can_create_rule(actor, discipline):
        raise PermissionDenied(_("Only the discipline's experts of a bureau set up its recognition rules."))
    out["discipline"] = discipline
    method = merged.get("method")
    if method not in {m.name for m in selectors.rule_methods(discipline.code)}:
        raise InvalidInput(_("Choose a method of the discipline that a rule can run."), field="method")
    out["method"] = method
    params = merged.get("params") or {}
    if not isinstance(params, dict):
        raise InvalidInput(_("The parameters must be an object."), field="params")
    try:
        out["params"] = validate_params(method, {**params, **spans.FIXED_PARAMS.get(method, {})}, series=True)
    except InvalidParams as exc:
        name, message = sorted(exc.errors.items())[0]
        raise InvalidInput(f"{name}: {message}", field=f"params.{name}") from exc
    out["window_days"] = _int_in(merged.get("window_days"), WINDOW_DAYS, "window_days")
    out["persist_days"] = _int_in(merged.get("persist_days"), PERSIST_DAYS, "persist_days")
    direction = merged.get("direction") or Direction.ABOVE
    if direction not in Direction.values:
        raise InvalidInput(_("Choose above or below."), field="direction")
    out["direction"] = direction
    threshold = merged.get("threshold")
    if method in spans.INDICATOR_METHODS:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold != threshold:
            raise InvalidInput(_("This method needs a threshold on its daily value."), field="threshold")
        if abs(float(threshold)) > 1e12:
            raise InvalidInput(_("The threshold is out of range."), field="threshold")
        out["threshold"] = float(threshold)
    else:
        out["threshold"] = None  # the method's own k and min_days are its threshold
    item_code = (
        (merged.get("item_code") or "").strip() if isinstance(merged.get("item_code") or "", str) else None
    )
    if item_code is None or (
        item_code and item_code not in dict(selectors.item_codes(discipline=discipline.code))
    ):
        raise InvalidInput(_("Choose an observation item of the discipline."), field="item_code")
    out["item_code"] = item_code
    return out


def _channels(actor: Actor, raw: Any, discipline: Discipline) -> list[Channel]:
    if raw is None:
        return []
    if not isinstance(raw, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
        raise InvalidInput(_("Give channel ids."), field="channels")
    if len(raw) > 200:
        raise InvalidInput(_("A rule reads at most 200 channels."), field="channels")
    allowed = {c.pk: c for c in selectors.channel_options(actor=actor, discipline=discipline.code)}
    bad = [v for v in raw if v not in allowed]
    if bad:
        raise InvalidInput(
            _("Channel %(id)s is not an active channel of your bureau in the discipline.") % {"id": bad[0]},
            field="channels",
        )
    return [allowed[v] for v in dict.fromkeys(raw)]


@transaction.atomic
def rule_create(*, actor: Actor, data: dict[str, Any]) -> RecognitionRule:
    """A new active rule of the actor's bureau. Raises PermissionDenied, InvalidInput."""
    if actor.bureau is None or not can_create_rule(actor):
        raise PermissionDenied(_("Only the discipline's experts of a bureau set up its recognition rules."))
    fields = _clean(actor, data, None)
    channels = _channels(actor, data.get("channels"), fields["discipline"])
    if not channels and not fields["item_code"]:
        raise InvalidInput(_("Choose channels or an observation item."), field="channels")
    if RecognitionRule.objects.filter(bureau=actor.bureau, name=fields["name"]).exists():
        raise InvalidInput(_("Your bureau already has a rule of this name."), field="name")
    rule = RecognitionRule.objects.create(
        bureau=actor.bureau, created_by=actor.user, state=RuleState.ACTIVE, **fields
    )
    rule.channels.set(channels)
    audit_record(actor=actor, action="recognition_rule.create", target=rule, to_state=RuleState.ACTIVE)
    return rule


@transaction.atomic
def rule_update(*, actor: Actor, rule: RecognitionRule, data: dict[str, Any]) -> RecognitionRule:
    """Change a rule (what is given); its detections stay. Raises PermissionDenied, InvalidInput."""
    rule = _lock(actor, rule)
    if not can_edit_rule(actor, rule):
        raise PermissionDenied(_("Only the discipline's experts of the rule's bureau change it."))
    fields = _clean(actor, data, rule)
    channels = (
        _channels(actor, data["channels"], fields["discipline"])
        if "channels" in data
        else list(rule.channels.all())
    )
    if not channels and not fields["item_code"]:
        raise InvalidInput(_("Choose channels or an observation item."), field="channels")
    if (
        RecognitionRule.objects.filter(bureau_id=rule.bureau_id, name=fields["name"])
        .exclude(pk=rule.pk)
        .exists()
    ):
        raise InvalidInput(_("Your bureau already has a rule of this name."), field="name")
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save(update_fields=[*fields, "updated_at"])
    rule.channels.set(channels)
    # what it saw no longer tells what the changed rule would see: evaluate everything again
    RuleChannelState.objects.filter(rule=rule).update(data_changed_at=None)
    audit_record(actor=actor, action="recognition_rule.update", target=rule, extra={"method": rule.method})
    return rule


@transaction.atomic
def rule_pause(*, actor: Actor, rule: RecognitionRule, comment: str = "") -> RecognitionRule:
    return transition(rule, "pause", actor, comment, workflow=WORKFLOW)


@transaction.atomic
def rule_resume(*, actor: Actor, rule: RecognitionRule, comment: str = "") -> RecognitionRule:
    return transition(rule, "resume", actor, comment, workflow=WORKFLOW)


def rule_run_now(*, actor: Actor, rule: RecognitionRule) -> RecognitionRule:
    """Evaluate the rule over all its channels now (in a worker), paused or not."""
    if not can_pause_rule(actor, rule):
        raise PermissionDenied(_("Only the discipline's experts and the bureau admin run the rule."))
    from .tasks import evaluate_rule_task

    with transaction.atomic():
        audit_record(actor=actor, action="recognition_rule.run", target=rule)
        kwargs = {"bureau_id": rule.bureau_id, "rule_id": rule.pk, "only_changed": False}
        transaction.on_commit(lambda: evaluate_rule_task.apply_async(kwargs=kwargs), robust=True)
    return rule


def rules_run_on_new_data() -> list[int]:
    """The hourly job: queue the evaluation of every active rule whose channels' data changed."""
    from .tasks import evaluate_rule_task

    due = selectors.rules_with_new_data()
    for bureau_id, rule_id in due:
        evaluate_rule_task.apply_async(
            kwargs={"bureau_id": bureau_id, "rule_id": rule_id, "only_changed": True}
        )
    return [rule_id for _bureau, rule_id in due]


# --- evaluation ---------------------------------------------------------------------------


def rule_evaluate(*, rule_id: int, only_changed: bool = False) -> dict[str, int]:
    """Evaluate a rule over its channels (``only_changed``: those whose data changed since it
    last did; a paused rule then does nothing). Returns counts of what happened."""
    summary = {"channels": 0, "runs": 0, "failed": 0, "created": 0, "extended": 0}
    rule = selectors.rule_for_worker(rule_id=rule_id)
    if rule is None or (only_changed and rule.state != RuleState.ACTIVE):
        return summary
    channels = selectors.rule_channels(rule=rule)
    if only_changed:
        wanted = set(selectors.changed_channels(rule=rule))
        channels = [c for c in channels if c.pk in wanted]
    changed = selectors.data_changed_at(channel_ids=[c.pk for c in channels])
    for channel in channels:
        summary["channels"] += 1
        outcome = _evaluate_channel(rule, channel, changed.get(channel.pk))
        for key, value in outcome.items():
            summary[key] += value
    RecognitionRule.objects.filter(pk=rule.pk).update(last_run_at=timezone.now())
    return summary


def _mark(
    rule: RecognitionRule, channel: Channel, *, changed: dt.datetime | None, run: Any, error: str
) -> None:
    RuleChannelState.objects.update_or_create(
        rule=rule,
        channel=channel,
        defaults={
            "bureau_id": rule.bureau_id,
            "data_changed_at": changed,
            "evaluated_at": timezone.now(),
            "last_run": run,
            "error": error[:2000],
        },
    )


def _evaluate_channel(rule: RecognitionRule, channel: Channel, changed: dt.datetime | None) -> dict[str, int]:
    out = {"runs": 0, "failed": 0, "created": 0, "extended": 0}
    last = selectors.channel_last_day(channel_id=channel.pk)
    if last is None:
        _mark(rule, channel, changed=changed, run=None, error=_("No stored data."))
        return out
    end = dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(days=1)
    start = end - dt.timedelta(days=rule.window_days)
    series = [{"channel": channel.pk, "start": start.isoformat(), "end": end.isoformat()}]
    try:
        run = run_request_for_bureau(
            bureau=rule.bureau, method=rule.method, params=rule.params, series=series
        )
    except InvalidInput as exc:
        _mark(rule, channel, changed=changed, run=None, error=exc.message)
        out["failed"] += 1
        return out
    out["runs"] += 1
    finished = run_execute(bureau_id=run.bureau_id, run_id=run.pk, task_id=run.task_id) or run
    if finished.status != RunStatus.SUCCEEDED or not isinstance(finished.result, dict):
        _mark(
            rule, channel, changed=changed, run=finished, error=finished.error or _("The run did not finish.")
        )
        out["failed"] += 1
        return out
    found = [
        s
        for s in spans.spans(rule.method, finished.result, threshold=rule.threshold, direction=rule.direction)
        if s.days >= rule.persist_days
    ]
    try:
        with transaction.atomic():
            # one evaluation of a rule at a time records its detections (a beat run and "run now")
            RecognitionRule.objects.select_for_update().filter(pk=rule.pk).first()
            for span in found:
                what = _record(rule, channel, finished, span, window=(start, end))
                if what in out:
                    out[what] += 1
            _mark(rule, channel, changed=changed, run=finished, error="")
    except InvalidInput as exc:  # nobody can report for the rule: seen, and said on its page
        _mark(rule, channel, changed=None, run=finished, error=exc.message)
        out["failed"] += 1
    return out


def _record(
    rule: RecognitionRule,
    channel: Channel,
    run: ProductRun,
    span: spans.Span,
    *,
    window: tuple[dt.datetime, dt.datetime],
) -> str:
    """Extend the open detection the span overlaps or touches, or report a new anomaly."""
    near = list(
        Detection.objects.select_for_update(of=("self",))
        .select_related("anomaly")
        .filter(
            rule=rule,
            channel=channel,
            start__lte=span.end + dt.timedelta(days=1),
            end__gte=span.start - dt.timedelta(days=1),
        )
        .order_by("-end")
    )
    if any(d.start <= span.start and span.end <= d.end for d in near):
        return "same"  # found before (a rerun of the same window, or a closed one seen again)
    open_ = [d for d in near if d.anomaly.state != Anomaly.State.CLOSED]
    if open_:
        detection = open_[0]
        before = (detection.start, detection.end)
        detection.start, detection.end = min(detection.start, span.start), max(detection.end, span.end)
        detection.run = run
        detection.peak = (
            span.peak
            if detection.peak is None or span.peak is None
            else max(detection.peak, span.peak, key=abs)
        )
        detection.extended_at = timezone.now()
        detection.save(update_fields=["start", "end", "run", "peak", "extended_at", "updated_at"])
        audit_record(
            actor=None,
            action="recognition.extend",
            target=detection.anomaly,
            bureau=rule.bureau,
            comment=_("%(rule)s: now %(start)s – %(end)s (was %(was_start)s – %(was_end)s), run #%(run)d")
            % {
                "rule": rule.name,
                "start": detection.start,
                "end": detection.end,
                "was_start": before[0],
                "was_end": before[1],
                "run": run.pk,
            },
            extra={"rule": rule.pk, "run": run.pk, "start": str(detection.start), "end": str(detection.end)},
        )
        return "extended"
    closed_end = max((d.end for d in near), default=None)
    if closed_end is not None:  # the part after an anomaly already closed is new
        span = spans.Span(closed_end + dt.timedelta(days=1), span.end, span.peak, span.peak_day)
        if span.days < rule.persist_days:
            return "same"
    actor = _acting_expert(rule)
    if actor is None:
        raise InvalidInput(_("No expert of the discipline in the bureau can report the rule's anomalies."))
    anomaly = anomaly_create_record(
        actor=actor,
        source=Anomaly.Source.PRODUCT,
        discipline=rule.discipline,
        observation_item=f"{channel.item.code} {channel.item.name_zh}",
        onset_at=dt.datetime(span.start.year, span.start.month, span.start.day, tzinfo=BEIJING),
        description=_describe(rule, channel, run, span, window),
        product_reference=f"{rule.method} #{run.pk}"[:100],
        channel=channel,
    )
    Detection.objects.create(
        bureau=rule.bureau,
        rule=rule,
        channel=channel,
        start=span.start,
        end=span.end,
        peak=span.peak,
        run=run,
        anomaly=anomaly,
    )
    # anomaly_create_record told the discipline's experts but the reporter; the reporter here
    # is the rule's author acting for it, who did not see it happen: tell them too
    notify_user(
        user=actor.user,
        title=_("Your recognition rule %(rule)s reported an anomaly") % {"rule": rule.name},
        body=anomaly.description[:500],
        url=f"/disciplines/anomalies/{anomaly.pk}/",
        kind="recognition.detection",
        bureau=rule.bureau,
    )
    return "created"


def _acting_expert(rule: RecognitionRule) -> Actor | None:
    """Who reports the rule's anomalies: its author while they are an expert of its discipline
    in its bureau, else the first such expert. A person, not the system: an anomaly's reporter
    answers for the report (``reported_by`` is required; a returned report goes back to them
    to revise), and the rule is that person's standing order."""
    candidates = [rule.created_by] if rule.created_by is not None else []
    candidates += list(discipline_experts(bureau=rule.bureau_id, discipline=rule.discipline_id)[:5])
    for user in candidates:
        if user is None or not user.is_active:
            continue
        actor = actor_for(user, rule.bureau.code)
        if (
            actor is not None
            and actor.bureau_id == rule.bureau_id
            and can_report_anomaly(actor, rule.discipline)
        ):
            return actor
    return None


def _describe(
    rule: RecognitionRule,
    channel: Channel,
    run: ProductRun,
    span: spans.Span,
    window: tuple[dt.datetime, dt.datetime],
) -> str:
    if rule.method in spans.SPAN_METHODS:
        k = rule.params.get("k")
        what = _("a departure of %(peak)sσ (threshold %(k)sσ)") % {
            "peak": f"{span.peak:+.2f}" if span.peak is not None else "?",
            "k": f"{k:g}" if isinstance(k, int | float) else "?",
        }
    else:
        what = _("a daily value of %(peak)s %(direction)s %(threshold)s") % {
            "peak": f"{span.peak:.4g}" if span.peak is not None else "?",
            "direction": ">" if rule.direction == Direction.ABOVE else "<",
            "threshold": f"{rule.threshold:g}" if rule.threshold is not None else "?",
        }
    return _(
        "Recognition rule “%(rule)s” (%(method)s) found %(what)s on %(station)s %(item)s from %(start)s to "
        "%(end)s (%(days)d days, peak on %(peak_day)s), in product run #%(run)d over %(first)s – %(last)s."
    ) % {
        "rule": rule.name,
        "method": rule.method,
        "what": what,
        "station": channel.station.code,
        "item": channel.item.code,
        "start": span.start,
        "end": span.end,
        "days": span.days,
        "peak_day": span.peak_day or span.start,
        "run": run.pk,
        "first": window[0].date(),
        "last": (window[1] - dt.timedelta(days=1)).date(),
    }
