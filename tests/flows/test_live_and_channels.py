"""What part A left untested: the run page's websocket (Channels over Redis), the e-mail and
WeChat Work notification channels, and a method node running a series method."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.utils import timezone

from flows.models import FlowRun
from flows.registry import NodeContext, TransientNodeError, node_type
from flows.services import runs as run_services
from flows.services.flows import flow_create
from portal.tenancy import bureau_reader
from tests.catalog.test_websocket import connect
from tests.reports.conftest import webhook  # noqa: F401 (a fixture, used by name)

from .conftest import bvalue_flow


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_run_page_hears_its_nodes_and_run_move_and_another_bureau_is_refused(
    jx_forecaster, nm_forecaster, as_actor, monkeypatch
):
    # the run stays queued (no eager Celery run at commit): the test moves it itself
    monkeypatch.setattr(run_services, "_enqueue_on_commit", lambda run: None)

    def queue():
        flow = flow_create(actor=as_actor(jx_forecaster), name="live", definition=bvalue_flow())
        return run_services.run_request(actor=as_actor(jx_forecaster), flow=flow)

    run = await sync_to_async(queue)()
    path = f"/ws/flows/runs/{run.pk}/"
    _stranger, connected, code = await connect(nm_forecaster, path)
    assert (connected, code) == (False, 4403)
    listener, connected, _ = await connect(jx_forecaster, path)
    assert connected
    await sync_to_async(run_services.run_begin)(run_id=run.pk)
    assert await listener.receive_json_from(timeout=5) == {
        "kind": "flow.run",
        "id": run.pk,
        "status": "running",
        "error": "",
    }
    await sync_to_async(run_services.run_cancel)(actor=as_actor(jx_forecaster), run=run)
    heard = [await listener.receive_json_from(timeout=5) for _ in range(6)]
    assert heard[0] == {"kind": "flow.run", "id": run.pk, "status": "cancelled", "error": ""}
    assert {(m["kind"], m["id"], m["status"]) for m in heard[1:]} == {
        ("flow.node", node, "skipped") for node in ("start", "cat", "b", "low", "tell")
    }
    await listener.disconnect()


@pytest.fixture
def context(jx, tmp_path):
    def make(**kw):
        return NodeContext(
            bureau=jx,
            reader=bureau_reader(jx),
            run_id=5,
            node_id="n",
            now=timezone.now(),
            directory=tmp_path,
            **kw,
        )

    return make


@pytest.mark.django_db
def test_an_email_notification_reaches_the_chosen_roles_of_the_bureau(
    context, jx_expert, jx_forecaster, nm_forecaster
):
    for user, address in ((jx_expert, "expert@jx.example"), (jx_forecaster, "fc@jx.example")):
        user.email = address
        user.save()
    nm_forecaster.email = "fc@nm.example"
    nm_forecaster.save()
    params = {"channel": "email", "title": "b 值偏低", "text": "请关注", "roles": ["expert"]}
    out = node_type("output.notify").run(context(), {"message": {"b": 0.61}}, params)
    assert out["message"]["recipients"] == 1
    [sent] = mail.outbox
    assert (sent.subject, sent.to) == ("b 值偏低", ["expert@jx.example"])
    assert sent.body == "请关注\nb: 0.61"


@pytest.mark.django_db
def test_a_wechat_work_group_bot_gets_the_text(context, webhook):  # noqa: F811
    receiver = webhook()
    params = {"channel": "wechat", "title": "b 值偏低", "text": "请关注", "webhook_url": receiver.url}
    out = node_type("output.notify").run(context(), {"message": {"b": 0.61}}, params)
    assert out["message"]["sent"] is True
    assert receiver.received == [{"msgtype": "text", "text": {"content": "b 值偏低\n请关注\nb: 0.61"}}]


@pytest.mark.django_db
def test_a_wechat_bot_that_errs_is_a_transient_failure_the_task_retries(context, webhook):  # noqa: F811
    receiver = webhook(status=500)
    params = {"channel": "wechat", "title": "t", "webhook_url": receiver.url}
    with pytest.raises(TransientNodeError, match="did not answer"):
        node_type("output.notify").run(context(), {"message": {}}, params)
    assert len(receiver.received) == 1


@pytest.mark.django_db
def test_a_series_source_feeds_trend_residual_and_finds_the_step_put_in(
    jx, jx_forecaster, as_actor, django_capture_on_commit_callbacks
):
    """Forty days of a drifting level (hourly, with noise) and a 5-day step of +5 (fifty times
    the daily noise) in the middle: trend_residual, run by the flow, finds exactly that step,
    and the node's result is the product engine's run."""
    from observations.services.series_store import series_write
    from portal.timefmt import BEIJING
    from products.models import ProductRun
    from tests.observations.factories import ChannelFactory

    channel = ChannelFactory(station__bureau=jx, interval=3600)
    today = timezone.now().astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=40)
    hours = np.arange(40 * 24)
    rng = np.random.default_rng(7)
    values = 10.0 + 0.05 * hours / 24.0 + rng.normal(0.0, 0.5, hours.size)
    values[20 * 24 : 25 * 24] += 5.0
    series_write(
        channel=channel, start=start.astimezone(dt.UTC), values=values.astype(np.float32), actor=None
    )
    definition = {
        "nodes": [
            {"id": "s", "type": "source.series", "params": {"channels": [channel.pk], "days": 60}},
            {"id": "tr", "type": "method.trend_residual", "params": {"window_days": 15, "k": 3.0}},
        ],
        "edges": [{"from": "s.series", "to": "tr.series"}],
    }
    flow = flow_create(actor=as_actor(jx_forecaster), name="trend", definition=definition)
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.run_request(actor=as_actor(jx_forecaster), flow=flow)
    run.refresh_from_db()
    node = run.nodes.get(node_id="tr")
    assert run.status == FlowRun.Status.SUCCEEDED, (run.error, node.error)
    product = ProductRun.objects.get(pk=node.output["result"]["product_run"])
    assert (product.method, product.status) == ("trend_residual", "succeeded")
    [anomaly] = product.result["anomalies"]
    first = (start + dt.timedelta(days=20)).date()
    assert (anomaly["start"], anomaly["end"], anomaly["days"], anomaly["sign"]) == (
        str(first),
        str(first + dt.timedelta(days=4)),
        5,
        1,
    )
