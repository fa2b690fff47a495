"""Node types one by one, called with a context as a run would (no worker)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from flows.nodes.logic import EACH
from flows.registry import NodeContext, NodeError, node_type
from portal.tenancy import bureau_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def context(jx, tmp_path):
    def make(**kw):
        return NodeContext(
            bureau=jx,
            reader=bureau_reader(jx),
            run_id=1,
            node_id="n",
            now=timezone.now(),
            directory=tmp_path,
            **kw,
        )

    return make


def run(type_name, context, inputs=None, **params):
    return node_type(type_name).run(context, inputs or {}, params)


def test_manual_trigger_gives_the_runs_input_event(context):
    event = {"public_id": "e1", "magnitude": 5.0}
    assert run("trigger.manual", context(trigger={"kind": "manual"}, input={"event": event})) == {
        "event": event
    }
    assert run("trigger.quake", context(trigger={"kind": "manual"}, input={"event": event})) == {}


def test_catalog_around_the_triggering_event_needs_the_event(context, jx, make_events):
    make_events(jx, 50)
    with pytest.raises(NodeError):
        run("source.catalog", context(), area="radius", radius_km=100.0, days=None)
    event = {"latitude": 27.5, "longitude": 115.5}
    out = run("source.catalog", context(), {"event": event}, area="radius", radius_km=100.0, days=None)
    assert out["catalog"]["selection"]["maxradius"] == pytest.approx(100.0 / 111.19492664455873, abs=1e-6)
    assert 0 < out["catalog"]["count"] < 50


def test_logic_condition_branch_merge_and_foreach(context, jx, make_events):
    value = {"result": {"b": 0.7, "kind": "x"}}
    assert run(
        "logic.condition", context(), {"value": value}, path="result.b", op="lt", threshold=0.8
    ).keys() == {"then"}
    assert run(
        "logic.condition", context(), {"value": value}, path="result.b", op="ge", threshold=0.8
    ).keys() == {"else"}
    with pytest.raises(NodeError, match=r"no value at 'result\.a'"):
        run("logic.condition", context(), {"value": value}, path="result.a", op="lt", threshold=1)
    assert run("logic.branch", context(), {"value": value}, path="result.kind", equals="x").keys() == {
        "match"
    }
    assert run("logic.merge", context(), {"b": 2}) == {"out": 2}
    make_events(jx, 30)
    each = run("logic.foreach", context(), {"catalog": {"selection": {"jurisdiction": True}}}, limit=5)
    events = each["event"][EACH]
    assert len(events) == 5
    assert [e["magnitude"] for e in events] == sorted((e["magnitude"] for e in events), reverse=True)


def test_section_document_and_dataset(context, tmp_path):
    section = run(
        "output.section", context(), {"content": {"scalars": {"b": 0.91}}}, title="b 值", text="说明"
    )
    assert section["section"]["sections"][0]["values"] == ["b: 0.91"]
    document = run("output.document", context(), {"s1": section["section"]}, title="周报")
    assert (tmp_path / document["document"]["pdf"]).read_bytes().startswith(b"%PDF")
    table = {"columns": ["a", "b"], "rows": [[1, 2], [3, 4]]}
    out = run("output.dataset", context(), {"table": table}, name="weekly b")
    assert (tmp_path / out["table"]["file"]).read_text().splitlines() == ["a,b", "1,2", "3,4"]
    assert (
        run("output.dataset", context(dry_run=True), {"table": table}, name="x")["table"]["dry_run"] is True
    )


def test_anomaly_output_reports_in_the_authors_name(context, jx_forecaster):
    from disciplines.models import Anomaly

    out = run(
        "output.anomaly",
        context(author_id=jx_forecaster.pk),
        {"value": {"scalars": {"b": 0.6}}},
        discipline="seismology",
        observation_item="b 值",
        station="江西辖区",
        description="b 值偏低",
    )
    anomaly = Anomaly.objects.get(pk=out["anomaly"]["id"])
    assert (anomaly.source, anomaly.reported_by, anomaly.state) == ("product", jx_forecaster, "reported")
