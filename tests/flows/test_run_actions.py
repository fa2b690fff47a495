"""Cancelling a run (API and page), a document's phone page, the meeting node attaching to an
existing meeting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from flows.models import FlowRun, NodeRun
from flows.registry import NodeContext, NodeError, node_type
from flows.services import runs as run_services
from flows.services.flows import flow_create
from portal.tenancy import bureau_reader
from tests.factories import MeetingFactory

from .conftest import bvalue_flow

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(jx_forecaster, as_actor):
    flow = flow_create(actor=as_actor(jx_forecaster), name="to cancel", definition=bvalue_flow())
    return run_services.run_request(actor=as_actor(jx_forecaster), flow=flow)  # on_commit never runs


def test_the_author_cancels_a_queued_run_and_its_nodes_are_skipped(api, jx_forecaster, queued):
    response = api(jx_forecaster).post(f"/api/v1/flow-runs/{queued.pk}/cancel/", {"comment": "wrong input"})
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert set(NodeRun.objects.filter(run=queued).values_list("status", flat=True)) == {"skipped"}


def test_a_finished_run_cannot_be_cancelled(api, jx_admin, queued):
    FlowRun.objects.filter(pk=queued.pk).update(status=FlowRun.Status.SUCCEEDED)
    response = api(jx_admin).post(f"/api/v1/flow-runs/{queued.pk}/cancel/", {})
    assert response.status_code == 409
    assert response.json()["detail"]


def test_the_bureau_admin_may_cancel_a_viewer_may_not_another_bureau_sees_nothing(
    api, jx_admin, jx_viewer, nm_admin, queued
):
    assert api(nm_admin).post(f"/api/v1/flow-runs/{queued.pk}/cancel/", {}).status_code == 404
    assert api(jx_viewer).post(f"/api/v1/flow-runs/{queued.pk}/cancel/", {}).status_code == 403
    assert api(jx_admin).post(f"/api/v1/flow-runs/{queued.pk}/cancel/", {}).status_code == 200


def test_the_run_page_offers_cancel_and_the_button_cancels(client, jx_forecaster, queued):
    client.force_login(jx_forecaster)
    page = client.get(queued.get_absolute_url())
    assert b'id="flow-run-cancel"' in page.content
    response = client.post(reverse("flows:run-cancel", args=[queued.pk]))
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == FlowRun.Status.CANCELLED
    assert b'id="flow-run-cancel"' not in client.get(queued.get_absolute_url()).content


DOCUMENT_FLOW = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {"id": "sec", "type": "output.section", "params": {"title": "震情概述", "text": "江西宜春 4.6 级"}},
        {"id": "doc", "type": "output.document", "params": {"title": "流程文档"}},
    ],
    "edges": [{"from": "start.event", "to": "sec.content"}, {"from": "sec.section", "to": "doc.s1"}],
}


def test_a_document_has_a_phone_page_linked_from_the_run_and_only_its_bureau_reads_it(
    client, jx_forecaster, nm_forecaster, as_actor, django_capture_on_commit_callbacks
):
    flow = flow_create(actor=as_actor(jx_forecaster), name="document", definition=DOCUMENT_FLOW)
    event = {"public_id": "e1", "magnitude": 4.6, "origin_time": "2025-03-01T00:00:00"}
    with django_capture_on_commit_callbacks(execute=True):
        run = run_services.run_request(actor=as_actor(jx_forecaster), flow=flow, input={"event": event})
    run.refresh_from_db()
    assert run.status == FlowRun.Status.SUCCEEDED, run.error
    url = reverse("flows:run-document", args=[run.pk, "doc"])
    client.force_login(jx_forecaster)
    assert url.encode() in client.get(run.get_absolute_url()).content
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>流程文档</h1>" in html
    assert "震情概述" in html
    assert "江西宜春 4.6 级" in html
    assert 'name="viewport"' in html
    assert client.get(reverse("flows:run-document", args=[run.pk, "sec"])).status_code == 404
    client.force_login(nm_forecaster)
    assert client.get(url).status_code == 404


@pytest.fixture
def context(jx, jx_forecaster):
    def make(**kw):
        return NodeContext(
            bureau=jx,
            reader=bureau_reader(jx),
            run_id=41,
            node_id="m",
            now=timezone.now(),
            flow_name="b-value watch",
            author_id=jx_forecaster.pk,
            **kw,
        )

    return make


def _meeting(inputs, context, **params):
    return node_type("output.meeting").run(context, inputs, {"meeting": "id", **params})


def test_the_meeting_node_attaches_what_it_receives_to_a_meeting_of_the_bureau(jx, nm, context):
    meeting = MeetingFactory(bureau=jx)
    content = {"result": {"b": 0.8, "product_run": 3}}
    out = _meeting({"content": content}, context(), meeting_id=meeting.pk)
    material = meeting.materials.get()
    assert out == {"message": {"meeting": meeting.pk, "title": meeting.title, "material": material.pk}}
    assert (material.kind, material.title, material.url) == ("product", "b-value watch", "/flows/runs/41/")
    # again (a retried node): the same material, not a second one
    assert (
        _meeting({"content": content}, context(), meeting_id=meeting.pk)["message"]["material"] == material.pk
    )
    with pytest.raises(NodeError, match="no meeting"):
        _meeting({"content": content}, context(), meeting_id=MeetingFactory(bureau=nm).pk)
    closed = MeetingFactory(bureau=jx, status="closed")
    with pytest.raises(NodeError, match="closed"):
        _meeting({"content": content}, context(), meeting_id=closed.pk)


def test_the_meeting_node_attaches_to_the_open_meeting_of_the_triggering_quake(jx, jx_chair, context):
    from catalog.services.events import Solution, event_record_solution
    from consultations.services.emergency import emergency_meeting_open
    from flows.nodes.sources import event_payload

    solution = Solution(
        origin_time=timezone.now() - dt.timedelta(minutes=5),
        latitude=28.2,
        longitude=114.9,
        depth_km=10.0,
        magnitude=5.1,
        location_name="江西宜春市上高县",
    )
    event, _c, _ch = event_record_solution(
        bureau=jx, solution=solution, data_origin="quick_report", publish=True, hook_source="import"
    )
    inputs = {"event": event_payload(event), "content": {"document": {"title": "专题", "sections": []}}}
    with pytest.raises(NodeError, match="no open emergency"):
        node_type("output.meeting").run(context(), inputs, {"meeting": "event"})
    meeting = emergency_meeting_open(event_id=event.pk, bureau_id=jx.pk)
    out = node_type("output.meeting").run(context(), inputs, {"meeting": "event"})
    assert out["message"]["meeting"] == meeting.pk
    material = meeting.materials.get(pk=out["message"]["material"])
    assert (material.kind, material.title) == ("report", "专题")


def test_the_meeting_node_by_id_needs_the_id():
    assert node_type("output.meeting").clean({"meeting": "id"}) == {
        "meeting_id": "required to attach to a meeting by its id"
    }
