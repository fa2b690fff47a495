"""Flows on a real Celery worker (tests/conftest.py ``real_celery``): the canvas, retries."""

from __future__ import annotations

import time

import pytest

from flows.models import FlowRun, NodeRun
from flows.services import runs as run_services
from flows.services.flows import flow_create
from portal.models import Notification
from products.inputs import read_rows
from products.methods import registry
from products.models import ProductRun
from products.selectors import selection_events

from .conftest import bvalue_flow

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait(run_id: int, seconds: float = 120) -> FlowRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = FlowRun.objects.get(pk=run_id)
        if run.is_finished:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish: {FlowRun.objects.get(pk=run_id).status}")


def test_catalog_bvalue_threshold_notification_on_the_worker_gives_the_engines_b(
    real_celery, jx, jx_forecaster, jx_expert, as_actor, make_events
):
    make_events(jx, 2000)
    flow = flow_create(actor=as_actor(jx_forecaster), name="b watch", definition=bvalue_flow(threshold=5.0))
    run = _wait(run_services.run_request(actor=as_actor(jx_forecaster), flow=flow).pk)
    nodes = {n.node_id: n for n in NodeRun.objects.filter(run=run)}
    assert run.status == FlowRun.Status.SUCCEEDED, (
        run.error,
        {k: (n.status, n.error) for k, n in nodes.items()},
    )
    # the same b-value as the product engine computes directly over the same events
    rows = read_rows(selection_events(bureau=jx, selection={"jurisdiction": True}))
    direct = registry.run("bvalue", rows.as_inputs(), {})
    product = ProductRun.objects.get(pk=nodes["b"].output["result"]["product_run"])
    assert product.result["b"] == pytest.approx(direct["b"], rel=1e-12)
    assert nodes["low"].output["then"]["condition"]["value"] == pytest.approx(direct["b"], rel=1e-12)
    assert Notification.objects.filter(recipient=jx_expert, kind="flows.notify").count() == 1
    assert all(n.attempts == 1 for n in nodes.values())  # none ran twice


def test_a_transient_failure_is_retried_per_its_type_then_fails_and_skips_downstream(
    real_celery, jx, jx_forecaster, as_actor, make_events
):
    make_events(jx, 300)
    definition = {
        "nodes": [
            {"id": "cat", "type": "source.catalog", "params": {"days": None}},
            {
                "id": "bot",
                "type": "output.notify",
                # nothing listens on port 9 of this machine: the group bot never answers
                "params": {
                    "title": "t",
                    "channel": "wechat",
                    "webhook_url": "https://127.0.0.1:9/cgi-bin/webhook/send",
                },
            },
            {"id": "sec", "type": "output.section", "params": {"title": "after"}},
        ],
        "edges": [{"from": "cat.catalog", "to": "bot.message"}, {"from": "bot.message", "to": "sec.content"}],
    }
    flow = flow_create(actor=as_actor(jx_forecaster), name="bot", definition=definition)
    run = _wait(run_services.run_request(actor=as_actor(jx_forecaster), flow=flow).pk)
    nodes = {n.node_id: n for n in NodeRun.objects.filter(run=run)}
    from flows.nodes.outputs import Notify

    assert nodes["bot"].status == NodeRun.Status.FAILED
    assert nodes["bot"].attempts == 1 + Notify.retries
    assert nodes["bot"].error.startswith("the group bot did not answer")
    assert nodes["sec"].status == NodeRun.Status.SKIPPED
    assert run.status == FlowRun.Status.FAILED
    assert Notification.objects.filter(recipient=jx_forecaster, kind="flows.run_failed").count() == 1
