"""Who reads and who changes a danger zone (404 for what is not yours, 403 for what you may
not do), the workflow's refusals, and the API (GET list/detail, POST, PATCH, transition)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.exceptions import InvalidTransition, NotFound, PermissionDenied
from portal.models import AuditEvent, Notification
from portal.workflow import transition
from zones import selectors, services
from zones.workflows import ZONE_WORKFLOW

pytestmark = pytest.mark.django_db

POLY = {"type": "Polygon", "coordinates": [[[114, 27], [116, 27], [116, 29], [114, 29], [114, 27]]]}


def test_national_zones_are_read_by_every_bureau_once_published(
    cenc, jx, nm, make_zone, jx_forecaster, nm_forecaster, as_actor
):
    published = make_zone(cenc, name="国家区")
    draft = make_zone(cenc, name="国家草稿", status="draft")
    for user in (jx_forecaster, nm_forecaster):
        ids = set(selectors.zone_list(actor=as_actor(user)).values_list("pk", flat=True))
        assert published.pk in ids
        assert draft.pk not in ids
        with pytest.raises(NotFound):
            selectors.zone_get(actor=as_actor(user), zone_id=draft.pk)


def test_a_provinces_zone_is_read_by_it_cenc_and_the_bureaus_it_names(
    cenc, jx, nm, make_zone, jx_forecaster, nm_forecaster, cenc_forecaster, as_actor
):
    own = make_zone(jx, name="赣区")
    draft = make_zone(jx, name="赣草稿", status="draft")
    assert selectors.zone_get(actor=as_actor(cenc_forecaster), zone_id=own.pk) == own
    with pytest.raises(NotFound):
        selectors.zone_get(actor=as_actor(cenc_forecaster), zone_id=draft.pk)
    with pytest.raises(NotFound):
        selectors.zone_get(actor=as_actor(nm_forecaster), zone_id=own.pk)
    own.bureaus.set([nm])
    assert selectors.zone_get(actor=as_actor(nm_forecaster), zone_id=own.pk) == own
    assert selectors.zone_get(actor=as_actor(jx_forecaster), zone_id=draft.pk) == draft


def test_who_enters_and_changes(cenc, jx, cenc_forecaster, jx_forecaster, jx_viewer, jx_expert, as_actor):
    zone = services.zone_create(
        actor=as_actor(cenc_forecaster),
        year=selectors.current_year(),
        name="华北",
        polygon=POLY,
        min_magnitude="6.0",
        bureaus=["JX"],
    )
    assert (zone.bureau, zone.status, zone.origin) == (cenc, "draft", "entered")
    for user in (jx_viewer, jx_expert):
        with pytest.raises(PermissionDenied):
            services.zone_create(
                actor=as_actor(user), year=zone.year, name="x区", polygon=POLY, min_magnitude="5.0"
            )
    services.zone_move(actor=as_actor(cenc_forecaster), zone=zone, action="publish")
    # JX reads the national zone (published) but may not change it: 403, not 404
    seen = selectors.zone_get(actor=as_actor(jx_forecaster), zone_id=zone.pk)
    with pytest.raises(PermissionDenied):
        services.zone_update(actor=as_actor(jx_forecaster), zone=seen, basis="x")
    with pytest.raises(PermissionDenied):
        services.zone_move(actor=as_actor(jx_forecaster), zone=seen, action="withdraw")
    # published: the polygon is fixed (409), the basis changes
    with pytest.raises(InvalidTransition):
        services.zone_update(actor=as_actor(cenc_forecaster), zone=zone, min_magnitude="5.0")
    services.zone_update(actor=as_actor(cenc_forecaster), zone=zone, basis="b 值低")


def test_publish_tells_the_responsible_bureaus_and_refuses_twice(
    cenc, jx, cenc_forecaster, jx_forecaster, make_zone, as_actor
):
    zone = make_zone(cenc, status="draft", bureaus=[jx])
    services.zone_move(actor=as_actor(cenc_forecaster), zone=zone, action="publish")
    assert Notification.objects.filter(recipient=jx_forecaster, kind="danger_zone").exists()
    assert AuditEvent.objects.filter(action="danger_zone.publish", target_id=str(zone.pk)).exists()
    with pytest.raises(InvalidTransition):
        services.zone_move(actor=as_actor(cenc_forecaster), zone=zone, action="publish")
    # a person may not score by the move alone from a draft either: permission first (403)
    other = make_zone(cenc, status="draft", name="另一")
    with pytest.raises(PermissionDenied):
        services.zone_move(actor=as_actor(jx_forecaster), zone=other, action="publish")


def test_bad_input_names_the_field(cenc, cenc_forecaster, as_actor):
    from portal.exceptions import InvalidInput

    actor = as_actor(cenc_forecaster)
    year = selectors.current_year()
    cases = [
        ({"polygon": {"type": "Point", "coordinates": [1, 2]}}, "polygon"),
        ({"polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}, "polygon"),
        ({"min_magnitude": "abc"}, "min_magnitude"),
        ({"max_magnitude": "4.0"}, "max_magnitude"),
        ({"bureaus": ["ZZ"]}, "bureaus"),
        ({"year": 1800}, "year"),
        ({"name": "  "}, "name"),
        ({"meeting": 999999}, "meeting"),
    ]
    for change, field in cases:
        data = {"year": year, "name": "区", "polygon": POLY, "min_magnitude": "5.0", **change}
        with pytest.raises(InvalidInput) as caught:
            services.zone_create(actor=actor, **data)
        assert caught.value.field == field, change


def test_linking_an_anomaly(
    cenc, jx, nm, make_zone, jx_anomaly, jx_forecaster, nm_forecaster, jx_viewer, as_actor
):
    zone = make_zone(cenc)
    services.zone_link_anomaly(actor=as_actor(jx_forecaster), zone=zone, anomaly=jx_anomaly)
    assert list(selectors.zone_anomalies(actor=as_actor(jx_forecaster), zone=zone)) == [jx_anomaly]
    # NM reads the zone but not JX's unpublished anomaly: the link shows nothing to it
    assert list(selectors.zone_anomalies(actor=as_actor(nm_forecaster), zone=zone)) == []
    with pytest.raises(NotFound):
        selectors.anomaly_for_link(actor=as_actor(nm_forecaster), anomaly_id=jx_anomaly.pk)
    with pytest.raises(PermissionDenied):
        services.zone_link_anomaly(actor=as_actor(jx_viewer), zone=zone, anomaly=jx_anomaly)
    assert list(selectors.zones_of_anomaly(actor=as_actor(jx_forecaster), anomaly=jx_anomaly)) == [zone]


def test_quarterly_report_workflow(cenc, jx, make_zone, jx_forecaster, jx_approver, jx_viewer, as_actor):
    zone = make_zone(cenc)
    report = services.report_create(actor=as_actor(jx_forecaster), zone=zone, year=zone.year, quarter=2)
    with pytest.raises(PermissionDenied):
        services.report_move(actor=as_actor(jx_approver), report=report, action="submit")
    with pytest.raises(InvalidTransition):
        services.report_move(actor=as_actor(jx_approver), report=report, action="issue")
    services.report_move(actor=as_actor(jx_forecaster), report=report, action="submit")
    assert Notification.objects.filter(recipient=jx_approver, kind="tracking_report").exists()
    with pytest.raises(PermissionDenied):
        services.report_move(actor=as_actor(jx_viewer), report=report, action="issue")
    issued = services.report_move(actor=as_actor(jx_approver), report=report, action="issue")
    assert issued.status == "issued"
    assert issued.issued_by == jx_approver
    with pytest.raises(InvalidTransition):
        services.report_update(actor=as_actor(jx_forecaster), report=issued, body="x")


def test_api_list_and_detail(api, cenc, jx, make_zone, jx_forecaster, nm_forecaster):
    zone = make_zone(cenc, bureaus=[jx], max_m=None)
    make_zone(cenc, year=zone.year - 1, name="去年")
    client = api(jx_forecaster)
    body = client.get(f"/api/v1/danger-zones/?year={zone.year}").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["polygon"]["type"] == "Polygon"
    assert row["polygon"]["coordinates"][0][0] == [114.0, 27.0]
    assert (row["min_magnitude"], row["max_magnitude"], row["level"], row["bureaus"], row["score"]) == (
        5.0,
        None,
        "high",
        ["JX"],
        None,
    )
    assert client.get(f"/api/v1/danger-zones/{zone.pk}/").json()["id"] == zone.pk
    assert client.get("/api/v1/danger-zones/?year=abc").status_code == 400
    draft = make_zone(cenc, status="draft", name="草稿")
    assert client.get(f"/api/v1/danger-zones/{draft.pk}/").status_code == 404
    year_score = {
        "zones": 1,
        "zones_hit": 1,
        "R": 0.5,
        "R0": 0.3,
        "hits": 1,
        "n_events": 1,
        "alarm_fraction": 0.5,
        "molchan": [],
        "area_skill_score": None,
        "molchan_bound": None,
        "reason": "",
    }
    transition(
        zone.pk,
        "score",
        None,
        workflow=ZONE_WORKFLOW,
        hit=True,
        score={"hit": True, "events": [], "year": year_score},
    )
    scored = client.get(f"/api/v1/danger-zones/{zone.pk}/").json()["score"]
    assert scored["hit"] is True
    assert scored["year"]["R"] == 0.5


def test_api_create_patch_transition(api, cenc, jx, cenc_forecaster, jx_forecaster):
    client = api(cenc_forecaster)
    year = selectors.current_year()
    made = client.post(
        "/api/v1/danger-zones/",
        {
            "year": year,
            "name": "华南",
            "polygon": POLY,
            "min_magnitude": "5.5",
            "max_magnitude": "6.5",
            "bureaus": ["JX"],
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    zone_id = made.json()["id"]
    assert (
        client.patch(f"/api/v1/danger-zones/{zone_id}/", {"level": "low"}, format="json").json()["level"]
        == "low"
    )
    assert (
        client.patch(f"/api/v1/danger-zones/{zone_id}/", {"min_magnitude": "7.0"}, format="json").status_code
        == 400
    )
    # JX may not read the draft: 404
    assert (
        api(jx_forecaster)
        .post(f"/api/v1/danger-zones/{zone_id}/transition/", {"action": "publish"}, format="json")
        .status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/danger-zones/{zone_id}/transition/", {"action": "publish"}, format="json"
        ).json()["status"]
        == "published"
    )
    assert (
        client.post(
            f"/api/v1/danger-zones/{zone_id}/transition/", {"action": "publish"}, format="json"
        ).status_code
        == 409
    )
    # JX reads it now, and may not withdraw it: 403
    assert (
        api(jx_forecaster)
        .post(f"/api/v1/danger-zones/{zone_id}/transition/", {"action": "withdraw"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(jx_forecaster)
        .post(
            "/api/v1/danger-zones/",
            {"year": year, "name": "x区", "polygon": {"type": "Point"}, "min_magnitude": "5"},
            format="json",
        )
        .status_code
        == 400
    )


def test_a_personal_token_reads_with_consultations_read(cenc, jx, make_zone, jx_forecaster):
    from rest_framework.test import APIClient

    from portal.token_services import token_create

    make_zone(cenc)
    _token, secret = token_create(
        actor=_actor(jx_forecaster),
        name="zones",
        scopes=["consultations:read"],
        expires=timezone.now() + dt.timedelta(days=30),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/danger-zones/").status_code == 200
    assert client.post("/api/v1/danger-zones/", {}, format="json").status_code == 403


def _actor(user):
    from portal.tenancy import actor_for

    return actor_for(user)
