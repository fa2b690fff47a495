"""Triggers: a schedule is a beat entry enabled only while the bureau admin enables the
flow's triggers; a happening starts only enabled flows whose trigger matches; the watchdog
fails a run past its limit."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from flows.models import FlowRun
from flows.services import runs as run_services
from flows.services import triggers as trigger_services
from flows.services.flows import flow_create, flow_set_triggers
from portal.models import Notification

from .conftest import bvalue_flow

pytestmark = pytest.mark.django_db


def _with(*nodes, base=None):
    definition = base or bvalue_flow()
    definition["nodes"].extend(nodes)
    return definition


def test_a_schedule_trigger_is_a_beat_entry_enabled_with_the_flows_triggers(
    jx_forecaster, jx_admin, as_actor
):
    schedule = {"id": "weekly", "type": "trigger.schedule", "params": {"hour": "7", "day_of_week": "1"}}
    flow = flow_create(actor=as_actor(jx_forecaster), name="weekly b", definition=_with(schedule))
    flow_set_triggers(actor=as_actor(jx_admin), flow=flow, enabled=True)
    task = PeriodicTask.objects.get(name=f"flows:{flow.bureau_id}:{flow.pk}")
    assert (task.task, task.enabled, json.loads(task.kwargs)) == (
        "flows.scheduled_run",
        True,
        {"flow_id": flow.pk},
    )
    assert (task.crontab.hour, task.crontab.day_of_week) == ("7", "1")
    flow_set_triggers(actor=as_actor(jx_admin), flow=flow, enabled=False)
    task.refresh_from_db()
    assert task.enabled is False
    assert trigger_services.schedule_fire(flow_id=flow.pk) is None  # disabled: no run


def test_a_quake_starts_only_enabled_flows_whose_filter_matches(jx, jx_forecaster, jx_admin, as_actor):
    quake = {"id": "q", "type": "trigger.quake", "params": {"min_magnitude": 4.0, "region": "anywhere"}}
    on = flow_create(actor=as_actor(jx_forecaster), name="on", definition=_with(quake))
    flow_create(actor=as_actor(jx_forecaster), name="off", definition=_with(dict(quake)))
    flow_set_triggers(actor=as_actor(jx_admin), flow=on, enabled=True)
    small = {"event": {"public_id": "e1", "magnitude": 3.5, "latitude": 28.0, "longitude": 115.0}}
    assert trigger_services.happening(kind="quake", bureau_id=jx.pk, payload=small) == []
    big = {"event": {"public_id": "e2", "magnitude": 4.6, "latitude": 28.0, "longitude": 115.0}}
    started = trigger_services.happening(kind="quake", bureau_id=jx.pk, payload=big)
    run = FlowRun.objects.get(pk__in=started)
    assert run.flow == on
    assert run.trigger == {"kind": "quake", **big}


def test_the_watchdog_fails_a_run_past_its_limit_and_tells_the_author(jx_forecaster, as_actor):
    flow = flow_create(actor=as_actor(jx_forecaster), name="stuck", definition=bvalue_flow())
    run = run_services.run_request(actor=as_actor(jx_forecaster), flow=flow)
    run_services.run_begin(run_id=run.pk)
    FlowRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=3))
    assert run_services.runs_sweep(timezone.now()) == [run.pk]
    run.refresh_from_db()
    assert run.status == FlowRun.Status.FAILED
    assert set(run.nodes.values_list("status", flat=True)) == {"skipped"}
    assert Notification.objects.filter(recipient=jx_forecaster, kind="flows.run_failed").count() == 1
