"""The editor's pages (/flows/new/, /flows/<id>/edit/), the versions page, the read-only
graphs of the flow and run pages, and POST /api/v1/flows/validate/."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from flows.diffwords import diff_in_words
from flows.services import runs as run_services
from flows.validation import definition_clean, definition_diff

from .conftest import bvalue_flow

pytestmark = pytest.mark.django_db


def _client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _json_script(html: str, element_id: str):
    start = html.index(f'id="{element_id}" type="application/json">') + len(
        f'id="{element_id}" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_new_flow_editor_carries_the_palette_grouped_by_family_and_discipline(jx_forecaster):
    response = _client(jx_forecaster).get("/flows/new/")
    assert response.status_code == 200
    html = response.content.decode()
    data = _json_script(html, "flow-editor-data")
    by_type = {t["type"]: t for t in data["palette"]}
    assert by_type["source.catalog"]["title"] == "Catalog selection"
    assert by_type["method.bvalue"]["discipline"] == "seismology"
    assert by_type["method.bvalue"]["inputs"] == {"catalog": "catalog"}
    assert by_type["method.k_sigma"]["discipline"] in {"deformation", "fluid", "electromagnetism"}
    assert data["flow"] is None
    assert data["definition"] == {"nodes": [], "edges": []}
    labels = _json_script(html, "flow-editor-labels")
    assert labels["families"]["method"] == "Methods"
    assert "<script>" not in html.replace('<script src="', "")  # no inline script


def test_the_editor_speaks_chinese_to_a_chinese_reader(jx_expert):
    html = _client(jx_expert, "zh-hans").get("/flows/new/").content.decode()
    assert _json_script(html, "flow-editor-labels")["families"]["trigger"] == "触发"
    palette = {t["type"]: t for t in _json_script(html, "flow-editor-data")["palette"]}
    assert palette["source.catalog"]["title"] == "目录选取"


@pytest.mark.parametrize("who", ["jx_viewer", "jx_admin", "jx_reporter"])
def test_people_who_do_not_author_flows_get_403(request, who, jx_bflow):
    flow = jx_bflow()
    client = _client(request.getfixturevalue(who))
    assert client.get("/flows/new/").status_code == 403
    assert client.get(f"/flows/{flow.pk}/edit/").status_code == 403


def test_another_bureaus_flow_is_404_in_the_editor(jx_bflow, nm_forecaster):
    flow = jx_bflow()
    assert _client(nm_forecaster).get(f"/flows/{flow.pk}/edit/").status_code == 404


def test_the_editor_of_a_flow_carries_its_definition_and_the_flow_page_links_it(jx_bflow, jx_forecaster):
    flow = jx_bflow()
    client = _client(jx_forecaster)
    html = client.get(f"/flows/{flow.pk}/edit/").content.decode()
    data = _json_script(html, "flow-editor-data")
    assert data["flow"]["id"] == flow.pk
    assert data["flow"]["version"] == 1
    assert [n["id"] for n in data["definition"]["nodes"]] == ["start", "cat", "b", "low", "tell"]
    detail = client.get(f"/flows/{flow.pk}/").content.decode()
    assert f'href="/flows/{flow.pk}/edit/"' in detail
    graph = _json_script(detail, "flow-graph-data")
    assert graph["types"]["method.bvalue"]["outputs"] == {"result": "product", "figure": "figure"}
    assert len(graph["definition"]["edges"]) == 3


def test_a_viewer_reads_the_flow_page_without_the_edit_link(jx_bflow, jx_viewer):
    flow = jx_bflow()
    html = _client(jx_viewer).get(f"/flows/{flow.pk}/").content.decode()
    assert f"/flows/{flow.pk}/edit/" not in html
    assert 'id="flow-graph"' in html


def test_the_run_page_draws_the_graph_with_each_nodes_state(
    jx_bflow, jx_forecaster, as_actor, django_capture_on_commit_callbacks
):
    flow = jx_bflow()
    run = run_services.run_request(actor=as_actor(jx_forecaster), flow=flow)
    html = _client(jx_forecaster).get(f"/flows/runs/{run.pk}/").content.decode()
    graph = _json_script(html, "flow-graph-data")
    assert graph["states"] == dict.fromkeys(["start", "cat", "b", "low", "tell"], "pending")
    assert _json_script(html, "flow-state-labels")["succeeded"] == "succeeded"


def test_the_versions_page_says_what_changed_in_words(api, jx_bflow, jx_forecaster):
    flow = jx_bflow()
    api(jx_forecaster).put(
        f"/api/v1/flows/{flow.pk}/",
        {"definition": bvalue_flow(threshold=0.9), "comment": "lower"},
        format="json",
    )
    response = _client(jx_forecaster).get(f"/flows/{flow.pk}/versions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Node low: threshold 5.0 → 0.9" in html
    assert "lower" in html


def test_diff_in_words_names_nodes_params_and_connections():
    old = bvalue_flow()
    new = bvalue_flow(threshold=1.0)
    new["nodes"].append({"id": "extra", "type": "logic.merge", "params": {}})
    new["edges"].append({"from": "b.result", "to": "extra.a"})
    new["nodes"][2]["params"] = {"bin": 0.2}
    with translation.override("en"):
        words = diff_in_words(definition_diff(definition_clean(old), definition_clean(new)))
    assert words == [
        "Nodes added: extra",
        "Node b: bin (empty) → 0.2",
        "Node low: threshold 5.0 → 1.0",
        "Connection added: b.result → extra.a",
    ]


def test_validate_answers_valid_or_names_the_node_and_edge(api, jx_forecaster):
    client = api(jx_forecaster)
    ok = client.post("/api/v1/flows/validate/", {"definition": bvalue_flow()}, format="json")
    assert ok.status_code == 200
    assert ok.json()["valid"] is True
    assert ok.json()["definition"]["nodes"][3]["params"]["op"] == "lt"
    bad = bvalue_flow()
    bad["nodes"][3]["params"]["threshold"] = "high"
    bad["edges"].append({"from": "b.figure", "to": "tell.message"})
    response = client.post("/api/v1/flows/validate/", {"definition": bad}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"nodes.low.params.threshold", "edges.3"}


def test_validate_is_for_authors(api, jx_viewer):
    response = api(jx_viewer).post("/api/v1/flows/validate/", {"definition": bvalue_flow()}, format="json")
    assert response.status_code == 403
