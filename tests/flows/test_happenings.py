"""The happenings of the apps below start flows: a quake arrived (each concerned bureau), a
quick report received, new series data (one run per channel and transaction), an anomaly
changed state. Only enabled flows of the bureau it happened for run; another bureau's do not.
And a bureau whose enabled flow makes the special-topic report gets no second one."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db import transaction
from django.utils import timezone

from catalog import arrival
from catalog.models import AlertAction
from catalog.services.events import Solution, event_record_solution
from flows.models import FlowRun
from flows.registry import NODE_TYPES, NodeType, register
from flows.services.flows import flow_create, flow_set_triggers

pytestmark = pytest.mark.django_db


def _flow(actor, admin, name, trigger, *, enabled=True, extra=()):
    """trigger -> an in-app notification (a run that is quick and touches nothing else)."""
    port = {"trigger.series_data": "series", "trigger.anomaly": "anomaly"}.get(trigger["type"], "event")
    definition = {
        "nodes": [
            {"id": "t", **trigger},
            {"id": "tell", "type": "output.notify", "params": {"title": name}},
            *extra,
        ],
        "edges": [{"from": f"t.{port}", "to": "tell.message"}],
    }
    flow = flow_create(actor=actor, name=name, definition=definition)
    if enabled:
        flow_set_triggers(actor=admin, flow=flow, enabled=True)
    return flow


@pytest.fixture
def no_reactions(monkeypatch):
    """The portal's own reactions (report, meeting) are not what these tests look at."""
    monkeypatch.setattr(arrival, "_REACTIONS", {})


def _quake(bureau, *, lon=115.0, lat=28.0, magnitude=4.6):
    solution = Solution(
        origin_time=timezone.now() - dt.timedelta(minutes=5),
        latitude=lat,
        longitude=lon,
        depth_km=10.0,
        magnitude=magnitude,
        location_name="江西宜春市上高县",
    )
    event, _created, _changed = event_record_solution(
        bureau=bureau, solution=solution, data_origin="quick_report", publish=True, hook_source="import"
    )
    return event


QUAKE = {"type": "trigger.quake", "params": {"min_magnitude": 4.0, "region": "jurisdiction"}}


def test_a_quake_starts_the_concerned_bureaus_enabled_quake_flows_only(
    jx, nm, jx_forecaster, jx_admin, nm_forecaster, nm_admin, as_actor, no_reactions,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    mine = _flow(as_actor(jx_forecaster), as_actor(jx_admin), "jx quake", QUAKE)
    _flow(as_actor(jx_forecaster), as_actor(jx_admin), "jx off", QUAKE, enabled=False)
    _flow(as_actor(nm_forecaster), as_actor(nm_admin), "nm quake", QUAKE)
    with django_capture_on_commit_callbacks(execute=True):
        event = _quake(jx)
    run = FlowRun.objects.get()
    assert run.flow == mine
    assert (run.trigger["kind"], run.trigger["event_id"], run.trigger["inside"]) == ("quake", event.pk, True)
    assert run.trigger["distance_km"] == 0.0
    assert run.trigger["event"]["public_id"] == event.public_id
    assert run.status == FlowRun.Status.SUCCEEDED
    assert run.nodes.get(node_id="t").output == {"event": run.trigger["event"]}


def test_a_quake_below_the_triggers_magnitude_starts_nothing(
    jx, jx_forecaster, jx_admin, as_actor, no_reactions, django_capture_on_commit_callbacks
):
    big_only = {"type": "trigger.quake", "params": {"min_magnitude": 5.5, "region": "jurisdiction"}}
    _flow(as_actor(jx_forecaster), as_actor(jx_admin), "big only", big_only)
    with django_capture_on_commit_callbacks(execute=True):
        _quake(jx, magnitude=4.6)
    assert not FlowRun.objects.exists()


QUICK_REPORT = {"type": "trigger.quick_report", "params": {"min_magnitude": 3.0}}


def test_a_quick_report_starts_the_bureaus_quick_report_flows(
    jx, nm, jx_forecaster, jx_admin, nm_forecaster, nm_admin, as_actor, no_reactions,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from catalog.quick_report import BEIJING
    from catalog.services.quick_reports import quick_report_submit

    mine = _flow(as_actor(jx_forecaster), as_actor(jx_admin), "jx sms", QUICK_REPORT)
    _flow(as_actor(nm_forecaster), as_actor(nm_admin), "nm sms", QUICK_REPORT)
    origin = timezone.now().astimezone(BEIJING) - dt.timedelta(minutes=10)
    text = (
        f"中国地震台网正式测定：{origin:%Y-%m-%d %H:%M:%S}在江西宜春市上高县发生4.6级地震，"
        "震中纬度28.20，经度114.90，震源深度10km。"
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = quick_report_submit(actor=as_actor(jx_forecaster), text=text)
    run = FlowRun.objects.get(trigger__kind="quick_report")
    assert run.flow == mine
    assert (run.trigger["event_id"], run.trigger["message"]) == (result.event.pk, result.message.pk)
    assert run.trigger["event"]["magnitude"] == pytest.approx(4.6)
    assert not FlowRun.objects.filter(flow__bureau=nm).exists()


def test_an_import_of_many_days_is_one_run_per_channel_with_the_whole_span(
    jx, nm, jx_forecaster, jx_admin, nm_forecaster, nm_admin, as_actor, django_capture_on_commit_callbacks
):
    from observations.services.series_store import series_write
    from tests.observations.factories import ChannelFactory

    well, other = ChannelFactory(station__bureau=jx), ChannelFactory(station__bureau=jx)
    series = {"type": "trigger.series_data", "params": {"channels": [well.pk]}}
    mine = _flow(as_actor(jx_forecaster), as_actor(jx_admin), "jx well", series)
    _flow(as_actor(nm_forecaster), as_actor(nm_admin), "nm well", series)  # the same id, NM's flow
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    day = np.full(1440, 12.0, dtype=np.float32)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for n in range(3):  # three days written one by one, and another channel
            series_write(channel=well, start=t0 + dt.timedelta(days=n), values=day, actor=None)
        series_write(channel=other, start=t0, values=day, actor=None)
    run = FlowRun.objects.get()
    assert run.flow == mine
    part = {"channel": well.pk, "start": "2025-03-01T00:00:00+00:00", "end": "2025-03-04T00:00:00+00:00"}
    assert run.trigger == {"kind": "series", "channel": well.pk, "series": {"series": [part]}}


def test_a_rolled_back_write_announces_nothing(
    jx, jx_forecaster, jx_admin, as_actor, django_capture_on_commit_callbacks
):
    from observations.services.series_store import series_write
    from tests.observations.factories import ChannelFactory

    well = ChannelFactory(station__bureau=jx)
    _flow(
        as_actor(jx_forecaster),
        as_actor(jx_admin),
        "jx well",
        {"type": "trigger.series_data", "params": {"channels": [well.pk]}},
    )
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)

    def failing_import():
        with transaction.atomic():
            series_write(channel=well, start=t0, values=np.ones(60, dtype=np.float32), actor=None)
            raise RuntimeError("the import failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_import()
    assert not FlowRun.objects.exists()


def test_an_anomaly_entering_a_chosen_state_starts_the_bureaus_anomaly_flows(
    jx, nm, jx_expert, jx_forecaster, jx_admin, nm_forecaster, nm_admin, disciplines, as_actor,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from disciplines.services.anomalies import anomaly_report, anomaly_withdraw

    closed = {"type": "trigger.anomaly", "params": {"states": ["closed"]}}
    mine = _flow(as_actor(jx_forecaster), as_actor(jx_admin), "jx closed", closed)
    _flow(as_actor(nm_forecaster), as_actor(nm_admin), "nm closed", closed)
    with django_capture_on_commit_callbacks(execute=True):
        anomaly = anomaly_report(
            actor=as_actor(jx_expert),
            discipline=disciplines["fluid"],
            observation_item="水位",
            onset_at=timezone.now() - dt.timedelta(days=1),
            description="水位突升",
            station="南昌井",
        )
    assert not FlowRun.objects.exists()  # reported: not a chosen state
    with django_capture_on_commit_callbacks(execute=True):
        anomaly_withdraw(actor=as_actor(jx_expert), anomaly=anomaly, comment="误报")
    run = FlowRun.objects.get()
    assert run.flow == mine
    assert run.trigger == {
        "kind": "anomaly",
        "anomaly": {"id": anomaly.pk, "state": "closed", "action": "withdraw", "discipline": "fluid"},
    }


def test_an_anomaly_a_flow_created_does_not_start_that_flow_again(jx, jx_forecaster, jx_admin, as_actor):
    from flows import happenings
    from flows.services import triggers as trigger_services
    from flows.services.runs import run_request

    flow = _flow(
        as_actor(jx_forecaster), as_actor(jx_admin), "loop", {"type": "trigger.anomaly", "params": {}}
    )
    earlier = run_request(actor=as_actor(jx_forecaster), flow=flow)
    sent = []
    happenings_enqueue = happenings._enqueue
    try:
        happenings._enqueue = lambda kind, bureau_id, payload: sent.append((kind, bureau_id, payload))
        happenings.anomaly_moved(
            anomaly_id=7, bureau_id=jx.pk, state="reported", action="report",
            product_reference=f"flow run {earlier.pk}",
        )  # fmt: skip
    finally:
        happenings._enqueue = happenings_enqueue
    [(kind, bureau_id, payload)] = sent
    assert payload["from_run"] == earlier.pk
    assert trigger_services.happening(kind=kind, bureau_id=bureau_id, payload=payload) == []


# --- the special-topic report yields to a flow that makes it ----------------------------------


class StandInTopicReport(NodeType):
    """Stands for the built-in topic-report node (flows part B2) until it exists."""

    type = "output.test_topic_report"
    family = "output"
    title_zh = title_en = "topic report (test)"
    inputs = {"event": "event"}
    optional_inputs = frozenset({"event"})
    outputs = {"document": "document"}
    replaces_alert_action = AlertAction.TOPIC_REPORT

    def run(self, context, inputs, params):
        return {"document": {"title": "report", "sections": []}}


@pytest.fixture
def stand_in_node():
    register(StandInTopicReport())
    yield StandInTopicReport.type
    NODE_TYPES.pop(StandInTopicReport.type, None)


class FakeReaction:
    def __init__(self, name):
        self.name = name
        self.sent = []

    def delay(self, **kwargs):
        self.sent.append(kwargs)


def test_a_bureau_whose_flow_makes_the_topic_report_gets_no_second_one(
    jx, jx_forecaster, jx_admin, as_actor, stand_in_node, monkeypatch, django_capture_on_commit_callbacks
):
    report, meeting = FakeReaction("test.report"), FakeReaction("test.meeting")
    monkeypatch.setattr(
        arrival, "_REACTIONS", {AlertAction.TOPIC_REPORT: [report], AlertAction.EMERGENCY_MEETING: [meeting]}
    )
    flow = _flow(
        as_actor(jx_forecaster),
        as_actor(jx_admin),
        "own report",
        QUAKE,
        extra=[{"id": "r", "type": stand_in_node}],
    )
    event = _quake(jx)
    jobs = arrival.decide(event_id=event.pk)
    assert [(j.task, j.bureau_id) for j in jobs] == [("test.meeting", jx.pk)]
    # the flow's trigger does not match a smaller quake: the portal's report is made after all
    small = _quake(jx, lon=115.5, lat=27.5, magnitude=3.2)
    assert {j.task for j in arrival.decide(event_id=small.pk)} == {"test.report", "test.meeting"}
    # nor when the bureau admin switched the flow's triggers off
    flow_set_triggers(actor=as_actor(jx_admin), flow=flow, enabled=False)
    assert {j.task for j in arrival.decide(event_id=event.pk)} == {"test.report", "test.meeting"}


def test_a_flow_without_the_report_node_leaves_the_report_to_the_portal(
    jx, jx_forecaster, jx_admin, as_actor, monkeypatch
):
    report = FakeReaction("test.report")
    monkeypatch.setattr(arrival, "_REACTIONS", {AlertAction.TOPIC_REPORT: [report]})
    _flow(as_actor(jx_forecaster), as_actor(jx_admin), "just tell", QUAKE)
    event = _quake(jx)
    assert [(j.task, j.bureau_id) for j in arrival.decide(event_id=event.pk)] == [("test.report", jx.pk)]
