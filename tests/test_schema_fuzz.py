"""Schemathesis over the portal's own OpenAPI schema (/api/schema/): any 5xx or any answer
the schema does not describe fails the suite.

Every operation of the schema is called with data generated from it, valid and invalid,
as a forecaster and as a bureau admin (token auth), with every built-in check on
(server errors, status codes, content types, response schemas, headers, acceptance of
valid and rejection of invalid data, ...). Demo-like rows exist (events, anomalies in
several states, a meeting with a forecast and a report, a product run, a GIS layer, an
import), and the valid cases of an operation with ids in its path carry the ids of those
rows, since a fuzzer cannot guess ids (made-up ids are the invalid cases' part).

The app is called in-process (WSGI, the test's own database connection) and each call
runs in a savepoint that is rolled back: no call changes what the next one finds, so no
operation has to be left out for destroying the fixture state.

Bounded: ``MAX_EXAMPLES`` cases per operation and generation mode as the forecaster, and
``MAX_EXAMPLES // 2`` as the bureau admin (the same derandomised cases, so the admin's are
the first half of the forecaster's: what differs for the admin is who may do what, which
those show; the fuzzer was a quarter of the suite's time), no Hypothesis database. The
admin's run leaves out the check that sends each case again without a token: the
forecaster's run has sent those same requests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "10"))
# While fixing one operation: SCHEMA_FUZZ_ONLY="GET /api/v1/events/" runs the labels holding it.
ONLY = os.environ.get("SCHEMA_FUZZ_ONLY", "")

# positive_data_acceptance expects schema-valid data to be accepted, but the schema cannot
# say everything the services check: the grammar of a quick-report SMS, that a window ends
# after it starts, that a name is known, that a title is real text. Those answer 400 with a
# message, which is right; a 5xx or an undocumented status still fails.
POSITIVE_ACCEPTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]

JIANGXI_SMS = (
    "【江西省地震局】江西省地震台网测定:{date}在江西宜春市上高县"
    "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
)
SQUARE = {"type": "Polygon", "coordinates": [[[115, 27], [116, 27], [116, 28], [115, 28], [115, 27]]]}
LAYER = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [115.9, 28.7]}, "properties": {}}
    ],
}


@pytest.fixture
def wsgi_app():
    """Django as a WSGI app on the test's connection: the test client's way of keeping the
    connection open across requests (closing it would end the test transaction)."""
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, settings):
    import schemathesis

    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    config = schemathesis.Config.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_ACCEPTED}}}
    )
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, config=config)


@pytest.fixture
def demo(jx, nm, disciplines, make_person, jx_admin, jx_forecaster, jx_chair, jx_reporter, jx_expert):
    """Rows of every kind the API serves, in JX, made through the services; returns their ids."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalog.services.imports import event_import_create
    from catalog.services.quick_reports import quick_report_submit
    from consultations.services import conclusion as conclusion_services
    from consultations.services import meetings as meeting_services
    from consultations.services import report_workflow as report_services
    from disciplines.services import anomalies as anomaly_services
    from disciplines.services.zero_reports import AnomalyInput, zero_report_submit
    from portal.tenancy import actor_for
    from products.services import runs as run_services
    from reports.services.gis_layers import gis_layer_upload
    from tests.factories import ReportingUnitFactory

    expert2 = make_person("jx_expert2", (jx, "expert", "fluid"))
    forecaster, chair, reporter = actor_for(jx_forecaster), actor_for(jx_chair), actor_for(jx_reporter)
    now = timezone.now()
    beijing = dt.timezone(dt.timedelta(hours=8))
    quick_reports = []
    for hours in (30, 5):
        when = (now - dt.timedelta(hours=hours)).astimezone(beijing)
        text = JIANGXI_SMS.format(date=when.strftime("%Y年%m月%d日%H时%M分"))
        quick_reports.append(quick_report_submit(actor=forecaster, text=text, received_at=now))
    unit = ReportingUnitFactory(
        bureau=jx, code="JX-FL-01", name="南昌井", discipline=disciplines["fluid"], reporters=[jx_reporter]
    )
    anomalies, zero_reports = [], []
    for days in (1, 2, 3):
        report = zero_report_submit(
            actor=reporter,
            unit=unit,
            period=timezone.localdate() - dt.timedelta(days=days),
            status="anomaly",
            anomaly=AnomalyInput("水位", "水位突升 0.8 m", now - dt.timedelta(days=days, hours=2)),
        )
        zero_reports.append(report)
        anomalies.append(report.anomaly)
    anomaly_services.anomaly_assign(actor=actor_for(expert2), anomaly=anomalies[1], assignee=jx_expert)
    meeting = meeting_services.meeting_create(
        actor=chair, kind="monthly", title="2026年12月月会商", starts_at=now + dt.timedelta(hours=1)
    )
    forecast = conclusion_services.forecast_add(
        actor=chair,
        meeting=meeting,
        window_start=timezone.localdate(),
        window_end=timezone.localdate() + dt.timedelta(days=30),
        region=SQUARE,
        min_magnitude="4.0",
        max_magnitude="5.0",
        likelihood="medium",
    )
    report = report_services.report_create(actor=chair, meeting=meeting)
    run = run_services.run_create(
        actor=forecaster, method="bvalue", params={"mc": 2.0}, catalog={"jurisdiction": True}
    )
    layer = gis_layer_upload(
        actor=forecaster, name="赣学校图层", kind="school", content=json.dumps(LAYER).encode()
    )
    from trends.services.briefs import brief_compile

    brief = brief_compile(bureau=jx, kind="daily", period_end=now - dt.timedelta(hours=1))
    upload = SimpleUploadedFile("events.csv", b"time,latitude,longitude,depth,magnitude\n")
    record = event_import_create(actor=forecaster, upload=upload, file_format="csv")
    trend_report = _trend_report(forecaster, jx)
    from observations.services.changes import change_apply_as_system, change_propose

    station = change_apply_as_system(
        bureau=jx,
        target="station",
        action="create",
        values={"code": "JX-XS", "name_zh": "修水流体井", "lon": 114.55, "lat": 29.03, "kind": "well"},
        reason="fuzz",
    )
    channel = change_apply_as_system(
        bureau=jx, target="channel", action="create", values={"station": "JX-XS", "item": "WL"}, reason="fuzz"
    )
    change = change_propose(
        actor=actor_for(jx_admin),
        target="station",
        action="update",
        object_id=station.object_id,
        values={"name_en": "Xiushui well"},
        reason="fuzz",
    )
    qc_day = _qc_day(channel.object_id)
    _skill_score(jx, channel.object_id)
    from recognition import demo as recognition_demo
    from recognition.services import rule_create

    fluid_expert = make_person("fuzz_expert_fluid", (jx, "expert", "fluid"))
    rule = rule_create(actor=actor_for(fluid_expert), data=dict(recognition_demo.RULE))
    from flows.services.flows import flow_create
    from flows.services.runs import run_request
    from tests.flows.conftest import bvalue_flow

    flow = flow_create(actor=forecaster, name="b 值监视", definition=bvalue_flow())
    flow_run = run_request(actor=forecaster, flow=flow)
    from flows.services.store import store_publish

    entry, _new = store_publish(actor=forecaster, flow=flow, description_en="b-value watch")
    from subscriptions.services.subscriptions import subscription_create

    subscription = subscription_create(
        actor=forecaster, data={"region": SQUARE, "min_magnitude": 3.0, "products": ["quick_report"]}
    )
    from postquake.services import case_open, draft_build

    postquake_case = case_open(event_id=quick_reports[0].event.pk, bureau_id=jx.pk)
    draft_build(case_id=postquake_case.pk)
    from portal.token_services import token_create, token_use_record

    # the forecaster's, of JX: its own and, for the bureau admin, one of the bureau's people
    token, _secret = token_create(
        actor=forecaster, name="台站脚本", scopes=["catalog:read"], expires=now + dt.timedelta(days=30)
    )
    token_use_record(token=token, method="GET", path="/api/v1/events/", status_code=200)
    dataset, data_request, push = _sharing(jx, nm, make_person, station_code="JX-XS")
    from zones.services import zone_create, zone_move

    zone = zone_create(
        actor=forecaster,
        year=now.year,
        name="赣中危险区",
        polygon=SQUARE,
        min_magnitude="5.0",
        bureaus=["JX"],
    )
    zone_move(actor=forecaster, zone=zone, action="publish")
    return {
        "zone_id": zone.pk,
        "token_id": token.pk,
        "dataset_id": dataset.pk,
        "request_id": data_request.pk,
        "push_id": push.pk,
        "subscription_id": subscription.pk,
        "case_id": postquake_case.pk,
        "number": 1,  # the case's first opinion, proposed by its draft
        "rule_id": rule.pk,
        "flow_id": flow.pk,
        "entry_id": entry.pk,
        "flow_run_id": flow_run.pk,
        "qc_day_id": qc_day.pk,
        "trend_report_id": trend_report.pk,
        "figure_id": trend_report.sections.get(key="seismicity").figures.get().pk,
        "key": "opinion",
        "code": jx.code,
        "user_id": jx_forecaster.pk,
        "public_id": quick_reports[0].event.public_id,
        "message_id": quick_reports[0].message.pk,
        "import_id": record.pk,
        "unit_id": unit.pk,
        "anomaly_id": anomalies[1].pk,
        "zero_report_id": zero_reports[0].pk,
        "meeting_id": meeting.pk,
        "forecast_id": forecast.pk,
        "consultation_report_id": report.pk,
        "run_id": run.pk,
        "layer_id": layer.pk,
        "brief_id": brief.pk,
        "station_code": "JX-XS",
        "channel_id": channel.object_id,
        "change_id": change.pk,
    }


def _sharing(jx: Any, nm: Any, make_person: Any, *, station_code: str) -> tuple[Any, Any, Any]:
    """JX's datasets (the sync), an NM request for its station's series waiting for JX's
    answer, and a push of the station to NM."""
    from portal.tenancy import actor_for
    from sharing.models import Dataset
    from sharing.services.pushes import push_create
    from sharing.services.requests import Scope, request_create
    from sharing.services.sync import datasets_sync

    datasets_sync(bureau_id=jx.pk)
    dataset = Dataset.objects.get(bureau=jx, key=f"station:{station_code}")
    nm_forecaster = make_person("fuzz_nm_forecaster", (nm, "forecaster"))
    data_request = request_create(
        actor=actor_for(nm_forecaster), dataset=dataset, purpose="对比研究", scope=Scope()
    )
    steward = make_person("fuzz_jx_steward", (jx, "data_steward"))
    push = push_create(actor=actor_for(steward), dataset=dataset, bureaus=["NM"])
    return dataset, data_request, push


def _skill_score(jx: Any, channel_id: int) -> None:
    """A rule's detection on the fuzz channel, scored: the skill detail answers 200."""
    from observations.models import Channel
    from skill.services import score_bureau
    from tests.factories import AnomalyFactory

    channel = Channel.objects.get(pk=channel_id)
    AnomalyFactory(
        bureau=jx,
        channel=channel,
        discipline=channel.discipline,
        source="product",
        onset_at=timezone.now() - dt.timedelta(days=30),
    )
    score_bureau(bureau=jx)


def _qc_day(channel_id: int) -> Any:
    """A flagged QC day of the fuzz channel (the machine's checks are not run here)."""
    from observations.models import Channel, QcDay, QcFlag

    channel = Channel.objects.get(pk=channel_id)
    day = QcDay.objects.create(
        bureau=channel.bureau,
        channel=channel,
        day=dt.date(2026, 11, 20),
        expected=1440,
        present=1380,
        availability=95.83,
        gaps=1,
        flagged=True,
        checked_at=dt.datetime(2026, 11, 21, 1, tzinfo=dt.UTC),
    )
    start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    QcFlag.objects.create(
        bureau=channel.bureau,
        channel=channel,
        qc_day=day,
        kind="gap",
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    return day


def _trend_report(forecaster: Any, jx: Any) -> Any:
    """A JX trend report with its sections and one figure (its compilation is not run here)."""
    import base64

    from trends.models import TrendFigure
    from trends.services.trend_reports import trend_report_request

    report, _created = trend_report_request(actor=forecaster, bureau=jx, month=dt.date(2026, 10, 1))
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    TrendFigure.objects.create(section=report.sections.get(key="seismicity"), name="epicentres", png=png)
    return report


def _known_path(operation: Any, ids: dict[str, Any]) -> dict[str, Any]:
    """The seeded ids for the path parameters of ``operation`` (report_id is three things)."""
    values: dict[str, Any] = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        if name == "report_id":
            if "/zero-reports/" in operation.path:
                values[name] = ids["zero_report_id"]
            elif "/consultations/" in operation.path:
                values[name] = ids["consultation_report_id"]
            elif "/trend-reports/" in operation.path:
                values[name] = ids["trend_report_id"]
            else:
                values[name] = 1
        elif name in ids:
            values[name] = ids[name]
    return {k: v for k, v in values.items() if v is not None}


def _fuzz(
    api_schema: Any,
    user: Any,
    ids: dict[str, Any],
    *,
    examples: int = MAX_EXAMPLES,
    probe_without_token: bool = True,
) -> list[str]:
    """Run every operation; return one line per failing operation (empty when all pass).

    ``probe_without_token=False`` leaves out the ``ignored_auth`` check, which sends each case
    once more without the token: the admin's cases are the first half of the forecaster's,
    whose run has already sent those very requests without one."""
    from django.db import transaction
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from rest_framework.authtoken.models import Token
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import ignored_auth

    token, _ = Token.objects.get_or_create(user=user)
    headers = {"Authorization": f"Token {token.key}"}
    excluded = [] if probe_without_token else [ignored_auth]
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if ONLY not in operation.label:
            continue
        known = _known_path(operation, ids)
        # Valid data goes to the seeded rows when the path has ids: with made-up ids it would
        # mostly meet a 404 before anything read it (what a made-up or hostile id does is the
        # negative cases' part, and test_hostile_values_in_every_parameter_…'s).
        if known:
            valid = operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)
        else:
            valid = operation.as_strategy(GenerationMode.POSITIVE)
        strategies = [valid, operation.as_strategy(GenerationMode.NEGATIVE)]
        for strategy in strategies:

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                derandomize=True,
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                with transaction.atomic():
                    try:
                        case.call_and_validate(headers=headers, excluded_checks=excluded)
                    finally:
                        transaction.set_rollback(True)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing of this operation can be made invalid (no parameters, no body)
            # Check failures come as a BaseExceptionGroup; note them and go on with the others.
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - any failure is noted, the fuzzing goes on
                failures.append(f"{operation.label}: {exc}")
                break
    return failures


def test_schema_is_valid_openapi(api_schema):
    assert len(list(api_schema.get_all_operations())) > 60


def test_fuzz_as_forecaster(api_schema, demo, jx_forecaster):
    failures = _fuzz(api_schema, jx_forecaster, demo)
    assert not failures, "\n\n".join(failures)


def test_fuzz_as_bureau_admin(api_schema, demo, jx_admin):
    failures = _fuzz(
        api_schema, jx_admin, demo, examples=max(1, MAX_EXAMPLES // 2), probe_without_token=False
    )
    assert not failures, "\n\n".join(failures)


def _paths(api_schema: Any, ids: dict[str, Any]) -> list[tuple[str, set[str], bool]]:
    """(concrete path with seeded ids, documented methods, needs auth) for every schema path."""
    rows: dict[str, tuple[str, set[str], bool]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        path = operation.path
        for name, value in _known_path(operation, ids).items():
            path = path.replace("{" + name + "}", str(value))
        secured = {} not in (operation.definition.raw.get("security") or [{}])
        concrete, methods, needs_auth = rows.get(operation.path, (path, set(), False))
        rows[operation.path] = (concrete, methods | {operation.method.upper()}, needs_auth or secured)
    return list(rows.values())


def test_every_secured_operation_answers_401_in_json_without_a_token(api_schema, demo, client):
    """What the coverage phase's ignored_auth check asks: no credentials, no data."""
    wrong = []
    for path, methods, needs_auth in _paths(api_schema, demo):
        if not needs_auth:
            continue
        for method in methods:
            response = client.generic(method, path, "{}", content_type="application/json")
            if response.status_code != 401 or "detail" not in response.json():
                wrong.append(f"{method} {path}: {response.status_code}")
    assert not wrong, wrong


def test_every_undocumented_method_answers_405_in_json_with_allow(api_schema, demo, api, jx_forecaster):
    """What the unsupported_method and allow_header_conformance checks ask."""
    client = api(jx_forecaster)
    wrong = []
    for path, methods, _needs_auth in _paths(api_schema, demo):
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            response = client.generic(method, path, "{}", content_type="application/json")
            allowed = {m.strip() for m in response.get("Allow", "").split(",")} - {"OPTIONS", "HEAD", ""}
            if response.status_code != 405 or "detail" not in response.json() or allowed != methods:
                wrong.append(f"{method} {path}: {response.status_code} Allow={sorted(allowed)}")
    assert not wrong, wrong


# Values that broke the portal before, or break parsers anywhere: a NUL, an integer past
# bigint, negatives, non-numbers that float() takes, full-width digits, a long string.
HOSTILE = [
    "\x00",
    "a\x00b",
    "999999999999999999999",
    "-1",
    "0",
    "1e309",
    "NaN",
    "２０２４",
    "'\"<>",
    "x" * 3000,
]


def test_hostile_values_in_every_parameter_give_a_documented_4xx_not_a_500(api_schema, demo, api, jx_admin):
    """The coverage a few random cases can miss: each query and path parameter of each
    operation, one at a time, set to each hostile value (the other path ids real)."""
    client = api(jx_admin)
    client.raise_request_exception = False  # a 500 is noted like any other wrong answer
    wrong = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if ONLY not in operation.label:
            continue
        known = _known_path(operation, demo)
        documented = {int(code) for code in operation.definition.raw["responses"] if code.isdigit()}
        names = [("path", p.name) for p in operation.path_parameters]
        names += [("query", p.name) for p in operation.query]
        for location, name in names:
            for value in HOSTILE:
                path_values = {p.name: known.get(p.name, 1) for p in operation.path_parameters}
                query = {}
                if location == "path":
                    path_values[name] = quote(value, safe="")
                else:
                    query[name] = value
                path = operation.path
                for key, given_value in path_values.items():
                    path = path.replace("{" + key + "}", str(given_value))
                if query:
                    path += "?" + urlencode(query)
                response = client.generic(
                    operation.method.upper(), path, "{}", content_type="application/json"
                )
                is_json = response.get("Content-Type", "").startswith("application/json")
                if response.status_code >= 500 or response.status_code not in documented or not is_json:
                    wrong.append(
                        f"{operation.label} {location} {name}={value[:20]!r}: {response.status_code}"
                    )
    assert not wrong, "\n".join(wrong)
