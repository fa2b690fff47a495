"""Running flows (tasks run eagerly here; tests/flows/test_worker.py runs them on a real worker)."""

from __future__ import annotations

import pytest

from flows.models import FlowRun, NodeRun
from flows.selectors import run_nodes
from flows.services import runs as run_services
from portal.models import Notification
from products.models import ProductRun

pytestmark = pytest.mark.django_db


def _run(flow, actor, django_capture_on_commit_callbacks, **kw):
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.run_request(actor=actor, flow=flow, **kw)
    run.refresh_from_db()
    return run, {n.node_id: n for n in run_nodes(run=run)}


def test_catalog_bvalue_threshold_notification(
    jx, jx_forecaster, jx_expert, as_actor, make_events, jx_bflow, django_capture_on_commit_callbacks
):
    make_events(jx, 2000)
    flow = jx_bflow(threshold=5.0)
    run, nodes = _run(flow, as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert run.status == FlowRun.Status.SUCCEEDED, (
        run.error,
        {k: (n.status, n.error) for k, n in nodes.items()},
    )
    assert {k: n.status for k, n in nodes.items()} == dict.fromkeys(nodes, NodeRun.Status.SUCCEEDED)
    product = ProductRun.objects.get(pk=nodes["b"].output["result"]["product_run"])
    assert nodes["low"].output["then"]["condition"]["value"] == product.result["b"]
    assert (
        Notification.objects.filter(recipient=jx_expert, kind="flows.notify", title="b-value is low").count()
        == 1
    )


def test_a_condition_not_met_skips_what_follows_and_the_run_succeeds(
    jx, jx_forecaster, as_actor, make_events, jx_bflow, django_capture_on_commit_callbacks
):
    make_events(jx, 2000)
    run, nodes = _run(jx_bflow(threshold=0.1), as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert run.status == FlowRun.Status.SUCCEEDED
    assert nodes["low"].output.keys() == {"else"}
    assert nodes["tell"].status == NodeRun.Status.SKIPPED
    assert not Notification.objects.filter(kind="flows.notify").exists()


def test_a_second_run_reuses_the_computed_node(
    jx, jx_forecaster, as_actor, make_events, jx_bflow, django_capture_on_commit_callbacks
):
    make_events(jx, 2000)
    flow = jx_bflow()
    _first, first = _run(flow, as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    _second, second = _run(flow, as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert first["b"].reused_from_id is None
    assert second["b"].reused_from_id == first["b"].pk
    assert second["b"].input_hash == first["b"].input_hash
    reused = ProductRun.objects.get(pk=second["b"].output["result"]["product_run"])
    assert reused.reused_from_id == first["b"].output["result"]["product_run"]


def test_a_dry_run_does_not_notify(
    jx, jx_forecaster, as_actor, make_events, jx_bflow, django_capture_on_commit_callbacks
):
    make_events(jx, 2000)
    run, nodes = _run(jx_bflow(), as_actor(jx_forecaster), django_capture_on_commit_callbacks, dry_run=True)
    assert run.status == FlowRun.Status.SUCCEEDED
    assert nodes["tell"].output["message"]["dry_run"] is True
    assert not Notification.objects.filter(kind="flows.notify").exists()


def test_a_failing_node_fails_the_run_skips_what_follows_and_tells_the_author(
    jx, jx_forecaster, as_actor, make_events, django_capture_on_commit_callbacks
):
    from flows.services.flows import flow_create
    from tests.flows.conftest import bvalue_flow

    make_events(jx, 200)
    definition = bvalue_flow()
    definition["nodes"][2]["params"] = {"min_events": 1_000_000}
    flow = flow_create(actor=as_actor(jx_forecaster), name="too few", definition=definition)
    run, nodes = _run(flow, as_actor(jx_forecaster), django_capture_on_commit_callbacks)
    assert nodes["b"].status == NodeRun.Status.FAILED
    assert nodes["b"].error.endswith("(bvalue needs at least 1000000 events; the selection has 200)")
    assert (nodes["low"].status, nodes["tell"].status) == (NodeRun.Status.SKIPPED, NodeRun.Status.SKIPPED)
    assert nodes["cat"].status == NodeRun.Status.SUCCEEDED
    assert run.status == FlowRun.Status.FAILED
    from django.utils.translation import gettext

    assert run.error.startswith(gettext("Failed nodes: %(nodes)s.") % {"nodes": "b"})
    told = Notification.objects.get(recipient=jx_forecaster, kind="flows.run_failed")
    assert told.url == f"/flows/runs/{run.pk}/"
