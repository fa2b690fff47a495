"""The flow store: publish, browse, install, rate, feature, update; who may do each; and a
copy runs with its own bureau's visibility (issue 14's test: NM installs JX's flow)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from flows.models import Flow, FlowRun, StoreEntry, StoreInstall
from flows.selectors import run_nodes
from flows.services import runs as run_services
from portal.models import Notification

from .conftest import bvalue_flow

pytestmark = pytest.mark.django_db


def count_flow(webhook: str = "") -> dict:
    """One catalog selection over every event the bureau reads (all areas, all time)."""
    nodes = [{"id": "cat", "type": "source.catalog", "params": {"area": "all", "days": None}}]
    edges = []
    if webhook:
        nodes.append(
            {
                "id": "bot",
                "type": "output.notify",
                "params": {"title": "count", "channel": "wechat", "webhook_url": webhook},
            }
        )
        edges.append({"from": "cat.catalog", "to": "bot.message"})
    return {"nodes": nodes, "edges": edges}


@pytest.fixture
def published(api, jx_forecaster):
    """JX's b-value watch, published by its author: (flow id, entry id)."""
    client = api(jx_forecaster)
    flow = client.post("/api/v1/flows/", {"name": "b watch", "definition": bvalue_flow()}, format="json")
    entry = client.post(
        f"/api/v1/flows/{flow.json()['id']}/publish/",
        {
            "description_zh": "b 值监视",
            "description_en": "Watches the b-value",
            "inputs": [{"node": "low", "param": "threshold", "label": "b below"}],
            "inputs_note": "Needs a catalog of the jurisdiction.",
        },
        format="json",
    )
    assert entry.status_code == 201, entry.json()
    return flow.json()["id"], entry.json()["id"]


def test_the_author_publishes_and_every_bureau_reads_the_entry(
    api, published, nm_forecaster, cenc_forecaster
):
    flow_id, entry_id = published
    for user in (nm_forecaster, cenc_forecaster):
        listed = api(user).get("/api/v1/flow-store/").json()
        assert [e["id"] for e in listed["results"] if not e["builtin"]] == [entry_id]
    detail = api(nm_forecaster).get(f"/api/v1/flow-store/{entry_id}/").json()
    assert detail["bureau"] == "JX"
    assert detail["version"] == 1
    assert detail["inputs"] == [{"node": "low", "param": "threshold", "label": "b below"}]
    assert detail["definition"]["nodes"][1]["type"] == "source.catalog"
    assert detail["disciplines"] == ["seismology"]
    # the store shares the definition, never the flow itself or its runs
    assert api(nm_forecaster).get(f"/api/v1/flows/{flow_id}/").status_code == 404


def test_who_publishes(api, jx_forecaster, jx_admin, jx_viewer, nm_forecaster):
    flow = api(jx_forecaster).post(
        "/api/v1/flows/", {"name": "w", "definition": bvalue_flow()}, format="json"
    )
    url = f"/api/v1/flows/{flow.json()['id']}/publish/"
    assert api(jx_viewer).post(url, {}, format="json").status_code == 403
    assert api(nm_forecaster).post(url, {}, format="json").status_code == 404
    assert api(jx_admin).post(url, {}, format="json").status_code == 201
    # the same definition again: only the words change, no new version
    again = api(jx_forecaster).post(url, {"description_en": "new words"}, format="json")
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert again.json()["description_en"] == "new words"


def test_a_group_bot_webhook_never_leaves_the_bureau(api, jx_forecaster, nm_forecaster):
    hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=jx-secret"
    flow = api(jx_forecaster).post(
        "/api/v1/flows/", {"name": "bot", "definition": count_flow(hook)}, format="json"
    )
    entry = api(jx_forecaster).post(f"/api/v1/flows/{flow.json()['id']}/publish/", {}, format="json").json()
    assert "jx-secret" not in str(api(nm_forecaster).get(f"/api/v1/flow-store/{entry['id']}/").json())
    assert {"node": "bot", "param": "webhook_url", "label": ""} in entry["inputs"]
    # installing without the bureau's own webhook names the parameter to fill
    missing = api(nm_forecaster).post(f"/api/v1/flow-store/{entry['id']}/install/", {}, format="json")
    assert missing.status_code == 400
    assert "nodes.bot.params.webhook_url" in missing.json()["errors"]
    nm_hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=nm"
    ok = api(nm_forecaster).post(
        f"/api/v1/flow-store/{entry['id']}/install/", {"params": {"bot.webhook_url": nm_hook}}, format="json"
    )
    assert ok.status_code == 201
    assert ok.json()["flow"]["definition"]["nodes"][1]["params"]["webhook_url"] == nm_hook


def test_install_copies_into_the_installers_bureau_with_triggers_off(api, published, nm_forecaster, nm):
    _flow_id, entry_id = published
    response = api(nm_forecaster).post(
        f"/api/v1/flow-store/{entry_id}/install/", {"params": {"low.threshold": 0.8}}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["flow"]["bureau"] == "NM"
    assert body["flow"]["triggers_enabled"] is False
    assert body["to_fill"] == [{"node": "low", "param": "threshold", "label": "b below", "filled": True}]
    low = next(n for n in body["flow"]["definition"]["nodes"] if n["id"] == "low")
    assert low["params"]["threshold"] == 0.8
    assert Flow.objects.get(pk=body["flow"]["id"]).bureau == nm
    assert api(nm_forecaster).get(f"/api/v1/flow-store/{entry_id}/").json()["installs"] == 1
    # once per bureau
    again = api(nm_forecaster).post(f"/api/v1/flow-store/{entry_id}/install/", {}, format="json")
    assert again.status_code == 400
    assert "entry" in again.json()["errors"]


def test_who_installs(api, published, nm_viewer_or_reporter, nm_admin):
    _flow_id, entry_id = published
    url = f"/api/v1/flow-store/{entry_id}/install/"
    assert api(nm_viewer_or_reporter).post(url, {}, format="json").status_code == 403
    assert api(nm_admin).post(url, {}, format="json").status_code == 201
    assert api(nm_admin).post("/api/v1/flow-store/999999/install/", {}, format="json").status_code == 404


@pytest.fixture
def nm_viewer_or_reporter(make_person, nm):
    return make_person("nm_reporter", (nm, "reporter"))


def test_a_parameter_the_entry_does_not_ask_for_is_refused(api, published, nm_forecaster):
    _flow_id, entry_id = published
    response = api(nm_forecaster).post(
        f"/api/v1/flow-store/{entry_id}/install/", {"params": {"cat.area": "box"}}, format="json"
    )
    assert response.status_code == 400
    assert "params.cat.area" in response.json()["errors"]


def test_ratings(api, published, nm_forecaster, nm_admin, jx_admin):
    _flow_id, entry_id = published
    url = f"/api/v1/flow-store/{entry_id}/ratings/"
    first = api(nm_forecaster).post(url, {"stars": 4, "comment": "useful"}, format="json")
    assert first.status_code == 201
    replaced = api(nm_forecaster).post(url, {"stars": 2, "comment": "slow"}, format="json")
    assert replaced.status_code == 200
    assert api(nm_admin).post(url, {"stars": 5}, format="json").status_code == 201
    assert api(nm_admin).post(url, {"stars": 6}, format="json").status_code == 400
    # a bureau does not rate its own flow
    assert api(jx_admin).post(url, {"stars": 5}, format="json").status_code == 403
    entry = api(nm_forecaster).get(f"/api/v1/flow-store/{entry_id}/").json()
    assert (entry["rating"], entry["rating_count"]) == (3.5, 2)
    listed = api(jx_admin).get(url).json()["results"]
    assert sorted(r["stars"] for r in listed) == [2, 5]


def test_a_system_admin_features_and_featured_comes_first(api, published, jx_forecaster, sysadmin, nm_admin):
    _flow_id, first = published
    flow = api(jx_forecaster).post(
        "/api/v1/flows/", {"name": "second", "definition": count_flow()}, format="json"
    )
    second = (
        api(jx_forecaster).post(f"/api/v1/flows/{flow.json()['id']}/publish/", {}, format="json").json()["id"]
    )

    def ids():
        return [
            e["id"] for e in api(nm_admin).get("/api/v1/flow-store/").json()["results"] if not e["builtin"]
        ]

    assert ids() == [second, first]
    url = f"/api/v1/flow-store/{first}/feature/"
    assert api(nm_admin).post(url, {"featured": True}, format="json").status_code == 403
    featured = api(sysadmin).post(url, {"featured": True}, format="json")
    assert featured.status_code == 200
    assert featured.json()["featured"] is True
    assert ids() == [first, second]


def test_search_filter_and_sort(api, published, jx_forecaster, nm_forecaster):
    _flow_id, bwatch = published
    flow = api(jx_forecaster).post(
        "/api/v1/flows/", {"name": "counter", "definition": count_flow()}, format="json"
    )
    counter = (
        api(jx_forecaster).post(f"/api/v1/flows/{flow.json()['id']}/publish/", {}, format="json").json()["id"]
    )
    client = api(nm_forecaster)

    def ids(query):
        response = client.get(f"/api/v1/flow-store/{query}")
        assert response.status_code == 200, response.json()
        return [e["id"] for e in response.json()["results"] if not e["builtin"]]

    assert ids("?q=watches") == [bwatch]
    assert ids("?node_type=method.bvalue") == [bwatch]
    assert ids("?discipline=seismology") == [bwatch]
    assert ids("?bureau=JX") == [counter, bwatch]
    assert ids("?bureau=NM") == []
    client.post(f"/api/v1/flow-store/{bwatch}/install/", {}, format="json")
    assert ids("?sort=installs") == [bwatch, counter]
    assert client.get("/api/v1/flow-store/?sort=loudest").status_code == 400


def test_a_new_version_tells_the_installers_who_update_keeping_their_parameters(
    api, published, jx_forecaster, nm_forecaster, nm_admin
):
    flow_id, entry_id = published
    installed = api(nm_forecaster).post(
        f"/api/v1/flow-store/{entry_id}/install/", {"params": {"low.threshold": 0.8}}, format="json"
    )
    copy_id = installed.json()["flow"]["id"]
    unchanged = api(nm_forecaster).post(f"/api/v1/flows/{copy_id}/update-from-store/", {}, format="json")
    assert (unchanged.status_code, unchanged.json()["version"]) == (200, 1)
    changed = bvalue_flow()
    changed["nodes"][2]["params"] = {"min_events": 60}
    api(jx_forecaster).put(f"/api/v1/flows/{flow_id}/", {"definition": changed}, format="json")
    second = api(jx_forecaster).post(
        f"/api/v1/flows/{flow_id}/publish/", {"note": "more events"}, format="json"
    )
    assert (second.status_code, second.json()["version"]) == (201, 2)
    told = Notification.objects.filter(kind="flows.store_version")
    assert sorted(n.recipient.username for n in told) == ["nm_admin", "nm_forecaster"]
    updated = api(nm_forecaster).post(f"/api/v1/flows/{copy_id}/update-from-store/", {}, format="json")
    assert updated.status_code == 200, updated.json()
    nodes = {n["id"]: n for n in updated.json()["definition"]["nodes"]}
    assert updated.json()["version"] == 2
    assert nodes["b"]["params"] == {"min_events": 60}
    assert nodes["low"]["params"]["threshold"] == 0.8
    assert StoreInstall.objects.get(flow_id=copy_id).version.number == 2
    # JX's own flow did not come from the store; NM cannot touch JX's flow
    assert (
        api(jx_forecaster).post(f"/api/v1/flows/{flow_id}/update-from-store/", {}, format="json").status_code
        == 400
    )
    assert (
        api(nm_admin).post(f"/api/v1/flows/{copy_id}/update-from-store/", {}, format="json").status_code
        == 403
    )


def test_nm_installs_jx_flow_and_its_runs_see_only_nm_data(
    api, as_actor, jx, nm, jx_forecaster, nm_forecaster, make_events, django_capture_on_commit_callbacks
):
    make_events(jx, 40, published=False, prefix="jx")
    make_events(nm, 25, published=False, prefix="nm", lat=45.0, lon=110.0)
    flow = api(jx_forecaster).post(
        "/api/v1/flows/", {"name": "count", "definition": count_flow()}, format="json"
    )
    entry = api(jx_forecaster).post(f"/api/v1/flows/{flow.json()['id']}/publish/", {}, format="json").json()
    installed = api(nm_forecaster).post(f"/api/v1/flow-store/{entry['id']}/install/", {}, format="json")
    counts = {}
    for user, flow_id in (
        (jx_forecaster, flow.json()["id"]),
        (nm_forecaster, installed.json()["flow"]["id"]),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            run = run_services.run_request(actor=as_actor(user), flow=Flow.objects.get(pk=flow_id))
        run.refresh_from_db()
        assert run.status == FlowRun.Status.SUCCEEDED, run.error
        counts[user.username] = next(iter(run_nodes(run=run))).output["catalog"]["count"]
    assert counts == {"jx_forecaster": 40, "nm_forecaster": 25}


def _png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "output.png"
    return buffer


def test_screenshots_are_checked_and_served_through_the_entry(
    api, client, published, nm_forecaster, jx_forecaster
):
    _flow_id, entry_id = published
    url = f"/api/v1/flow-store/{entry_id}/screenshots/"
    assert api(nm_forecaster).post(url, {"file": _png()}, format="multipart").status_code == 403
    fake = io.BytesIO(b"<html>not an image</html>")
    fake.name = "shot.png"
    assert api(jx_forecaster).post(url, {"file": fake}, format="multipart").status_code == 400
    added = api(jx_forecaster).post(url, {"file": _png(), "caption": "the map"}, format="multipart")
    assert added.status_code == 201
    shot = added.json()["screenshots"][0]
    client.force_login(nm_forecaster)
    response = client.get(shot["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_store_pages(client, published, nm_forecaster, jx_forecaster):
    flow_id, entry_id = published
    client.force_login(nm_forecaster)
    page = client.get("/flows/store/?q=watch")
    assert page.status_code == 200
    assert "b watch" in page.content.decode()
    detail = client.get(f"/flows/store/{entry_id}/")
    assert detail.status_code == 200
    assert 'id="store-install-button"' in detail.content.decode()
    installed = client.post(f"/flows/store/{entry_id}/install/", {"name": "NM b watch"})
    flow = Flow.objects.get(name="NM b watch")
    assert installed.status_code == 302
    assert installed["Location"] == flow.get_absolute_url()
    rated = client.post(f"/flows/store/{entry_id}/rate/", {"stars": "5", "comment": "good"})
    assert rated.status_code == 302
    assert StoreEntry.objects.get(pk=entry_id).ratings.get().stars == 5
    assert client.get(f"/flows/{flow_id}/publish/").status_code == 404  # JX's flow
    client.force_login(jx_forecaster)
    publish = client.get(f"/flows/{flow_id}/publish/")
    assert publish.status_code == 200


def test_the_store_needs_a_bureau(api, outsider, published):
    assert api(outsider).get("/api/v1/flow-store/").status_code == 403
    assert api().get("/api/v1/flow-store/").status_code == 401
