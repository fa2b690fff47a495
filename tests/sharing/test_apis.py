"""The API of issue 16's contract: /api/v1/datasets/, /api/v1/data-requests/ (and its
transitions), /api/v1/dataset-pushes/; tenancy (404 not yours, 403 not yours to decide) and
bad input (400 naming the field)."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from sharing.models import DataRequest, Dataset, Level
from sharing.services.datasets import dataset_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def not_shared(datasets, jx_steward, as_actor):
    return dataset_update(actor=as_actor(jx_steward), dataset=datasets["item:WT"], level=Level.NOT_SHARED)


def _keys(body):
    return sorted(row["key"] for row in body["results"])


def test_a_dataset_not_shared_is_listed_to_its_own_bureau_only(
    api, datasets, not_shared, nm_forecaster, jx_viewer
):
    assert _keys(api(jx_viewer).get("/api/v1/datasets/").json()) == ["item:WL", "item:WT", "station:JX-XS"]
    assert _keys(api(nm_forecaster).get("/api/v1/datasets/").json()) == ["item:WL", "station:JX-XS"]
    assert api(nm_forecaster).get(f"/api/v1/datasets/{not_shared.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("kind=item_series", ["item:WL", "item:WT"]),
        ("zone=realtime", ["station:JX-XS"]),
        ("level=not_shared", ["item:WT"]),
        ("bureau=jx&q=水位", ["item:WL"]),
        ("bureau=NM", []),
    ],
)
def test_the_catalog_filters(api, datasets, not_shared, jx_viewer, query, keys):
    assert _keys(api(jx_viewer).get(f"/api/v1/datasets/?{query}").json()) == keys


@pytest.mark.parametrize(
    ("query", "field"), [("kind=nope", "kind"), ("level=x", "level"), ("page=0", "page")]
)
def test_a_bad_filter_is_400_naming_it(api, datasets, jx_viewer, query, field):
    response = api(jx_viewer).get(f"/api/v1/datasets/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_detail_says_what_it_covers_and_your_grants(api, datasets, nm_forecaster):
    body = api(nm_forecaster).get(f"/api/v1/datasets/{datasets['station:JX-XS'].pk}/").json()
    assert body["station"] == "JX-XS"
    assert body["level"] == "on_request"
    assert body["zone"] == "realtime"
    assert body["coverage"]["type"] == "Point"
    assert body["my_grants"] == []
    assert body["records"] == 4


def test_setting_the_level_is_for_the_owners_stewards(api, datasets, jx_steward, jx_forecaster, nm_admin):
    url = f"/api/v1/datasets/{datasets['station:JX-XS'].pk}/"
    assert api(jx_forecaster).patch(url, {"level": "open"}, format="json").status_code == 403
    assert api(nm_admin).patch(url, {"level": "open"}, format="json").status_code == 403
    bad = api(jx_steward).patch(url, {"level": "public"}, format="json")
    assert bad.status_code == 400
    assert "level" in bad.json()["errors"]
    assert Dataset.objects.get(pk=datasets["station:JX-XS"].pk).level == Level.ON_REQUEST
    ok = api(jx_steward).patch(url, {"level": "open", "title_en": "Xiushui well"}, format="json")
    assert ok.status_code == 200
    assert (ok.json()["level"], ok.json()["title_en"]) == ("open", "Xiushui well")
    level = AuditEvent.objects.get(action="dataset.level")
    assert (level.from_state, level.to_state, level.actor) == ("on_request", "open", jx_steward)


def test_a_title_that_is_no_title_is_400(api, datasets, jx_steward):
    url = f"/api/v1/datasets/{datasets['station:JX-XS'].pk}/"
    response = api(jx_steward).patch(url, {"title_zh": "---"}, format="json")
    assert response.status_code == 400
    assert "title_zh" in response.json()["errors"]


# --- requests -----------------------------------------------------------------------------


def _create(client, dataset, **body):
    return client.post(
        "/api/v1/data-requests/", {"dataset": dataset.pk, "purpose": "对比研究", **body}, format="json"
    )


def test_asking_answering_and_reading_a_request(
    api, datasets, channels, nm_forecaster, jx_steward, cenc_forecaster
):
    made = _create(
        api(nm_forecaster), datasets["station:JX-XS"], period_start="2026-11-01", channels=[channels[0].pk]
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["state"], body["owner"], body["requester"], body["channels"]) == (
        "pending",
        "JX",
        "NM",
        [channels[0].pk],
    )
    assert body["actions"] == []
    url = f"/api/v1/data-requests/{body['id']}/"
    assert api(jx_steward).get(url).json()["actions"] == ["approve", "refuse"]
    assert api(cenc_forecaster).get(url).status_code == 404
    assert [r["id"] for r in api(jx_steward).get("/api/v1/data-requests/?side=to_me").json()["results"]] == [
        body["id"]
    ]
    assert api(jx_steward).get("/api/v1/data-requests/?side=mine").json()["results"] == []
    # the contract's transitions
    transitions = url + "transitions/"
    assert api(nm_forecaster).post(transitions, {"action": "approve"}, format="json").status_code == 403
    assert api(cenc_forecaster).post(transitions, {"action": "approve"}, format="json").status_code == 404
    approved = api(jx_steward).post(
        transitions,
        {"action": "approve", "scope": {"period_start": "2026-11-05"}, "expires": "2027-06-30T16:00:00Z"},
        format="json",
    )
    assert approved.status_code == 200, approved.json()
    grant = approved.json()["grant"]
    assert (grant["period_start"], grant["grantee"], grant["expires_at"], grant["channels"]) == (
        "2026-11-05",
        "NM",
        "2027-07-01T00:00:00+08:00",
        [channels[0].pk],  # not given: as asked
    )
    assert (
        api(jx_steward).post(transitions, {"action": "refuse", "reason": "x"}, format="json").status_code
        == 409
    )
    revoked = api(jx_steward).post(transitions, {"action": "revoke", "reason": "结束"}, format="json")
    assert revoked.json()["state"] == "revoked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "refuse"}, "reason"),
        ({"action": "refuse", "reason": "   "}, "reason"),
        ({"action": "delete"}, "action"),
        ({"action": "approve", "scope": {"period_start": "2026-13-01"}}, "scope"),
        ({"action": "approve", "expires": "2001-01-01T00:00:00Z"}, "expires"),
        ({"action": "refuse", "reason": "不", "expires": "2030-01-01T00:00:00Z"}, "expires"),
    ],
)
def test_a_bad_transition_is_400_naming_the_field(api, datasets, nm_forecaster, jx_steward, body, field):
    made = _create(api(nm_forecaster), datasets["station:JX-XS"]).json()
    response = api(jx_steward).post(f"/api/v1/data-requests/{made['id']}/transitions/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert DataRequest.objects.get(pk=made["id"]).state == "pending"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"period_start": "someday"}, "period_start"),
        ({"period_start": "2026-11-10", "period_end": "2026-11-01"}, "period_end"),
        ({"channels": [0]}, "channels"),
        ({"channels": [987654321]}, "channels"),
    ],
)
def test_a_bad_request_is_400_naming_the_field(api, datasets, nm_forecaster, body, field):
    response = _create(api(nm_forecaster), datasets["station:JX-XS"], **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not DataRequest.objects.exists()


def test_asking_for_a_dataset_one_does_not_see_is_404_and_ones_own_403(
    api, datasets, not_shared, nm_forecaster, jx_forecaster
):
    assert _create(api(nm_forecaster), not_shared).status_code == 404
    assert _create(api(jx_forecaster), datasets["station:JX-XS"]).status_code == 403


# --- pushes -------------------------------------------------------------------------------


def test_pushes_through_the_api(api, datasets, jx_steward, nm_admin, cenc_forecaster):
    made = api(jx_steward).post(
        "/api/v1/dataset-pushes/", {"dataset": datasets["item:WL"].pk, "bureaus": ["NM"]}, format="json"
    )
    assert made.status_code == 201
    push = made.json()
    assert (push["bureaus"], push["state"]) == (["NM"], "active")
    url = f"/api/v1/dataset-pushes/{push['id']}/"
    assert api(nm_admin).get(url).status_code == 200
    assert api(cenc_forecaster).get(url).status_code == 404
    assert [p["id"] for p in api(nm_admin).get("/api/v1/dataset-pushes/?side=to_me").json()["results"]] == [
        push["id"]
    ]
    assert api(nm_admin).post(url + "stop/", {}, format="json").status_code == 403
    assert api(jx_steward).post(url + "stop/", {}, format="json").json()["state"] == "stopped"
    assert api(jx_steward).post(url + "stop/", {}, format="json").status_code == 409


def test_a_push_to_an_unknown_bureau_is_400(api, datasets, jx_steward):
    response = api(jx_steward).post(
        "/api/v1/dataset-pushes/", {"dataset": datasets["item:WL"].pk, "bureaus": ["ZZZ"]}, format="json"
    )
    assert response.status_code == 400
    assert "bureaus" in response.json()["errors"]
