"""The portal's own flows in the store: they are clean flows of registered node types; a
bureau installs the topic-report flow and, on a quake, it produces the same report as the
default path (once: never two reports of one version); the trend flow asks for last month's
report; a bureau changes its copy (another radius) without a developer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from catalog.services.events import Solution, event_record_solution
from flows import builtin
from flows.models import Flow, FlowRun, StoreEntry, StoreVersion
from flows.nodes.sources import event_payload
from flows.selectors import run_nodes
from flows.services import store as store_services
from flows.services import triggers as trigger_services
from flows.services.flows import flow_set_triggers, flow_update
from flows.validation import definition_clean
from reports.models import PushAttempt, TopicReport
from reports.selectors import topic_report_settings_for
from reports.topic import build_content
from tests.reports.conftest import SHANGGAO, jx_towns  # noqa: F401 (a fixture, used by name)
from trends.models import TrendReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def builtins(db):
    """The built-in entries (the migration loads them; a flushing test may have removed them)."""
    builtin.sync(StoreEntry, StoreVersion)
    return {e.builtin_key: e for e in StoreEntry.objects.filter(builtin_key__isnull=False)}


def quake(bureau, magnitude=4.1):
    """A quake at Shanggao recorded without running the arrival (no on-commit tasks here)."""
    solution = Solution(
        origin_time=timezone.now() - dt.timedelta(minutes=3),
        latitude=SHANGGAO[1],
        longitude=SHANGGAO[0],
        depth_km=5.0,
        magnitude=magnitude,
        location_name="江西宜春市上高县",
        source="江西省地震台网",
        status="reviewed",
        report_kind="formal",
    )
    event, _created, _changed = event_record_solution(
        bureau=bureau, solution=solution, data_origin="quick_report", publish=True, hook_source="quick_report"
    )
    return event


def test_the_builtin_definitions_are_clean_flows(builtins):
    assert set(builtins) == {builtin.TOPIC_REPORT, builtin.TREND_REPORT}
    for key, spec in builtin.BUILTINS.items():
        assert definition_clean(spec["definition"]) == spec["definition"], key
        assert builtins[key].bureau is None
        assert builtins[key].versions.get().definition == spec["definition"]
    # syncing again changes nothing
    builtin.sync(StoreEntry, StoreVersion)
    assert StoreVersion.objects.filter(entry__builtin_key__isnull=False).count() == 2


def test_every_bureau_sees_the_builtins_in_the_store(api, builtins, nm_forecaster):
    listed = api(nm_forecaster).get("/api/v1/flow-store/?bureau=builtin").json()["results"]
    assert {e["id"] for e in listed} == {e.pk for e in builtins.values()}
    assert all(e["builtin"] and e["bureau"] is None for e in listed)
    # nobody rates a built-in as its own
    assert (
        api(nm_forecaster)
        .post(f"/api/v1/flow-store/{builtins['topic_report'].pk}/ratings/", {"stars": 5}, format="json")
        .status_code
        == 201
    )


def _install_and_enable(builtins, key, forecaster, admin, as_actor, params=None):
    install, _to_fill = store_services.store_install(
        actor=as_actor(forecaster), entry=builtins[key], params=params or {}
    )
    assert install.flow.triggers_enabled is False
    flow_set_triggers(actor=as_actor(admin), flow=install.flow, enabled=True)
    return install.flow


@pytest.mark.usefixtures("jx_towns")
def test_the_topic_report_flow_makes_the_default_paths_report_once(
    builtins, jx, jx_forecaster, jx_admin, as_actor, django_capture_on_commit_callbacks
):
    flow = _install_and_enable(builtins, "topic_report", jx_forecaster, jx_admin, as_actor)
    event = quake(jx)
    payload = {"event": event_payload(event), "inside": True}
    with django_capture_on_commit_callbacks(execute=True):
        started = trigger_services.happening(kind="quake", bureau_id=jx.pk, payload=payload)
    run = FlowRun.objects.get(pk__in=started)
    nodes = {n.node_id: n for n in run_nodes(run=run)}
    assert run.status == FlowRun.Status.SUCCEEDED, (run.error, {k: n.error for k, n in nodes.items()})
    assert run.flow == flow
    [report] = TopicReport.objects.filter(bureau=jx, event=event)
    assert report.status == "ready"
    assert nodes["report"].output["report"]["topic_report"] == report.pk
    # the same content as the default path's build (reports.topic.build_content)
    with translation.override("zh-hans"):
        default = build_content(event=event, bureau=jx, options=topic_report_settings_for(bureau=jx)).content
    when = ("map_files", "built_at_bj")  # where it is stored, and the second it was built
    assert {k: v for k, v in report.context.items() if k not in when} == {
        k: v for k, v in default.items() if k not in when
    }
    assert report.pdf.name.startswith(f"reports/{jx.pk}/")
    # and pushed over the bureau's channels, like the default path
    assert PushAttempt.objects.filter(report=report, channel="websocket").count() == 1
    # a second trigger of the same version finds the report: never two
    with django_capture_on_commit_callbacks(execute=True):
        trigger_services.happening(kind="quake", bureau_id=jx.pk, payload=payload)
    assert TopicReport.objects.filter(bureau=jx, event=event).count() == 1


@pytest.mark.usefixtures("jx_towns")
def test_a_bureau_changes_its_copy_another_radius(
    builtins, jx, jx_forecaster, jx_admin, as_actor, django_capture_on_commit_callbacks
):
    flow = _install_and_enable(
        builtins, "topic_report", jx_forecaster, jx_admin, as_actor, params={"report.history_radius_km": 20.0}
    )
    assert flow.current_version.definition["nodes"][1]["params"]["history_radius_km"] == 20.0
    towns = {"town_radius_km": 5.0}
    definition = flow.current_version.definition
    definition["nodes"][1]["params"].update(towns)
    flow_update(actor=as_actor(jx_forecaster), flow=flow, definition=definition, comment="closer towns")
    event = quake(jx)
    with django_capture_on_commit_callbacks(execute=True):
        trigger_services.happening(kind="quake", bureau_id=jx.pk, payload={"event": event_payload(event)})
    report = TopicReport.objects.get(bureau=jx, event=event)
    assert report.context["options"]["town_radius_km"] == 5.0
    assert report.context["options"]["history_radius_km"] == 20.0
    assert all(row["distance_km"] <= 5.0 for row in report.context["towns"]["rows"])
    # the bureau's settings were not changed
    assert topic_report_settings_for(bureau=jx).town_radius_km == 50.0


def test_the_trend_flow_asks_for_last_months_report(
    builtins, jx, jx_forecaster, jx_admin, as_actor, django_capture_on_commit_callbacks
):
    flow = _install_and_enable(builtins, "trend_report", jx_forecaster, jx_admin, as_actor)
    with django_capture_on_commit_callbacks(execute=True):
        run = trigger_services.schedule_fire(flow_id=flow.pk)
    run.refresh_from_db()
    assert run.status == FlowRun.Status.SUCCEEDED, run.error
    report = TrendReport.objects.get(bureau=jx)
    today = timezone.localdate()
    first = today.replace(day=1)
    last = (first - dt.timedelta(days=1)).replace(day=1)
    assert report.month == last
    assert Flow.objects.get(pk=flow.pk).triggers_enabled is True


def test_a_bureau_keeps_only_some_kinds_of_its_gis_layers(
    builtins, jx, jx_forecaster, jx_admin, as_actor, django_capture_on_commit_callbacks
):
    from django.contrib.gis.geos import Point

    from reports.models import GisFeature, GisLayer

    for kind, name in (("school", "学校"), ("hospital", "医院")):
        layer = GisLayer.objects.create(bureau=jx, name=name, kind=kind, feature_count=1)
        GisFeature.objects.create(
            bureau=jx, layer=layer, name=f"上高{name}", geometry=Point(SHANGGAO[0] + 0.01, SHANGGAO[1])
        )
    flow = _install_and_enable(builtins, "topic_report", jx_forecaster, jx_admin, as_actor, params={})
    definition = flow.current_version.definition
    definition["nodes"][1]["params"]["layer_kinds"] = ["school"]
    flow = flow_update(
        actor=as_actor(jx_forecaster), flow=flow, definition=definition, comment="schools only"
    )
    event = quake(jx)
    with django_capture_on_commit_callbacks(execute=True):
        trigger_services.happening(kind="quake", bureau_id=jx.pk, payload={"event": event_payload(event)})
    report = TopicReport.objects.get(bureau=jx, event=event)
    assert [row["kind"] for row in report.context["layers"]] == ["school"]
    assert flow.current_version.definition["nodes"][1]["params"]["layer_kinds"] == ["school"]
