"""Master-data changes: propose, approve (applied, history kept), reject, withdraw; who may,
in which state; values validated when proposed and again when approved."""

from __future__ import annotations

import pytest

from observations.models import Channel, MasterDataChange, ObservationItem, Station
from portal.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db

CHANGES = "/api/v1/master-data/changes/"


def _transition(client, change_id: int, action: str, comment: str = ""):
    return client.post(
        f"{CHANGES}{change_id}/transitions/", {"action": action, "comment": comment}, format="json"
    )


def _propose_station(client, code: str = "JX-NEW", **values):
    body = {
        "target": "station",
        "action": "create",
        "values": {"code": code, "name_zh": "新井", "lon": 115.5, "lat": 28.2, "kind": "well", **values},
        "reason": "新建观测井",
    }
    return client.post(CHANGES, body, format="json")


def test_reference_items_are_present_with_units_and_disciplines(db):
    # given the data migration
    items = {i.code: i for i in ObservationItem.objects.select_related("discipline")}
    # then
    expected = {
        "WL": ("m", "fluid"),
        "WT": ("°C", "fluid"),
        "RN_W": ("Bq/L", "fluid"),
        "RN_G": ("Bq/L", "fluid"),
        "HG_W": ("ng/L", "fluid"),
        "GM_H": ("nT", "electromagnetism"),
        "GM_D": ("′", "electromagnetism"),
        "GM_Z": ("nT", "electromagnetism"),
        "GM_F": ("nT", "electromagnetism"),
        "GE_RHO": ("Ω·m", "electromagnetism"),
        "TILT_NS": ("ms", "deformation"),
        "TILT_EW": ("ms", "deformation"),
        "STRAIN_L": ("10⁻¹⁰", "deformation"),
        "GRAV": ("μGal", "deformation"),
        "PRES": ("hPa", "fluid"),
        "RAIN": ("mm", "fluid"),
    }
    assert {code: (items[code].unit, items[code].discipline.code) for code in expected} == expected
    assert items["RAIN"].is_auxiliary is True
    assert items["WL"].source.startswith("portal:")


def test_admin_proposes_and_second_admin_approves_station(api, jx_admin, jx_admin2):
    # given
    proposed = _propose_station(api(jx_admin))
    assert proposed.status_code == 201, proposed.json()
    change_id = proposed.json()["id"]
    assert proposed.json()["state"] == "proposed"
    assert not Station.objects.filter(code="JX-NEW").exists()
    # the second admin is told and finds it waiting
    assert Notification.objects.filter(recipient=jx_admin2, kind="master_data_change").count() == 1
    assert Notification.objects.filter(recipient=jx_admin, kind="master_data_change").count() == 0
    # when
    response = _transition(api(jx_admin2), change_id, "approve", "ok")
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "approved"
    assert body["decided_by"] == "jx_admin2"
    assert body["proposed_by"] == "jx_admin"
    station = Station.objects.get(code="JX-NEW")
    assert body["object_id"] == station.pk
    assert body["before"] is None
    assert body["after"]["code"] == "JX-NEW"
    assert body["station"] == "JX-NEW"
    assert station.name_zh == "新井"
    assert station.status == "active"


def test_proposer_cannot_approve_own_change(api, jx_admin, jx_admin2):
    change_id = _propose_station(api(jx_admin)).json()["id"]
    # when
    response = _transition(api(jx_admin), change_id, "approve")
    # then
    assert response.status_code == 403
    assert "approved and applied" in response.json()["detail"] or response.json()["detail"]
    assert MasterDataChange.objects.get(pk=change_id).state == "proposed"
    assert not Station.objects.filter(code="JX-NEW").exists()


def test_other_bureaus_admin_gets_404(api, jx_admin, nm_admin):
    change_id = _propose_station(api(jx_admin)).json()["id"]
    # when
    response = _transition(api(nm_admin), change_id, "approve")
    # then
    assert response.status_code == 404
    assert api(nm_admin).get(f"{CHANGES}{change_id}/").status_code == 404
    assert MasterDataChange.objects.get(pk=change_id).state == "proposed"


def test_approving_twice_is_409(api, jx_admin, jx_admin2):
    change_id = _propose_station(api(jx_admin)).json()["id"]
    assert _transition(api(jx_admin2), change_id, "approve").status_code == 200
    audits = AuditEvent.objects.count()
    # when
    response = _transition(api(jx_admin2), change_id, "approve")
    # then
    assert response.status_code == 409
    assert AuditEvent.objects.count() == audits


@pytest.mark.parametrize("who", ["jx_reporter", "jx_forecaster", "jx_viewer"])
def test_non_admin_cannot_propose(api, request, who):
    user = request.getfixturevalue(who)
    # when
    response = _propose_station(api(user))
    # then
    assert response.status_code == 403
    assert MasterDataChange.objects.count() == 0


def test_reject_needs_a_reason_and_keeps_the_rows(api, jx_admin, jx_admin2):
    change_id = _propose_station(api(jx_admin)).json()["id"]
    # when
    without = _transition(api(jx_admin2), change_id, "reject")
    response = _transition(api(jx_admin2), change_id, "reject", "位置有误")
    # then
    assert without.status_code == 400
    assert without.json()["errors"] == {"comment": ["Say why the change is rejected."]} or "comment" in str(
        without.json()
    )
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    assert response.json()["decision_comment"] == "位置有误"
    assert not Station.objects.filter(code="JX-NEW").exists()
    # the proposer is told
    assert Notification.objects.filter(recipient=jx_admin, kind="master_data_change").count() == 1


def test_withdraw_is_the_proposers_only(api, jx_admin, jx_admin2):
    change_id = _propose_station(api(jx_admin)).json()["id"]
    # when
    by_other = _transition(api(jx_admin2), change_id, "withdraw")
    by_proposer = _transition(api(jx_admin), change_id, "withdraw")
    again = _transition(api(jx_admin2), change_id, "approve")
    # then
    assert by_other.status_code == 403
    assert by_proposer.status_code == 200
    assert by_proposer.json()["state"] == "withdrawn"
    assert again.status_code == 409


def test_update_keeps_history_with_before_and_after(api, jx, jx_admin, jx_admin2, make_station):
    station = make_station(jx, "JX-AAA", elevation_m=100.0)
    proposed = api(jx_admin).post(
        CHANGES,
        {
            "target": "station",
            "action": "update",
            "object_id": station.pk,
            "values": {"elevation_m": 102.5, "status": "suspended"},
            "reason": "复测",
        },
        format="json",
    )
    assert proposed.status_code == 201, proposed.json()
    # when
    response = _transition(api(jx_admin2), proposed.json()["id"], "approve")
    # then
    assert response.status_code == 200, response.json()
    station.refresh_from_db()
    assert (station.elevation_m, station.status) == (102.5, "suspended")
    history = list(MasterDataChange.objects.filter(station=station, state="approved").order_by("created_at"))
    assert [(c.action, c.proposed_by_id, c.decided_by_id) for c in history] == [
        ("create", None, None),
        ("update", jx_admin.pk, jx_admin2.pk),
    ]
    assert history[1].before["elevation_m"] == 100.0
    assert history[1].after["elevation_m"] == 102.5
    assert (history[1].before["status"], history[1].after["status"]) == ("active", "suspended")
    # the station's status moved through its workflow (audited)
    assert AuditEvent.objects.filter(action="station.suspend", target_id=str(station.pk)).count() == 1


def test_close_a_channel_and_a_station(api, jx, jx_admin, jx_admin2, make_station, make_channel):
    station = make_station(jx, "JX-BBB")
    channel = make_channel(station, "WL")
    close_channel = api(jx_admin).post(
        CHANGES,
        {"target": "channel", "action": "close", "object_id": channel.pk, "reason": "停测"},
        format="json",
    )
    assert _transition(api(jx_admin2), close_channel.json()["id"], "approve").status_code == 200
    channel.refresh_from_db()
    assert channel.is_active is False
    close_station = api(jx_admin).post(
        CHANGES,
        {
            "target": "station",
            "action": "close",
            "object_id": station.pk,
            "values": {"closed_on": "2026-11-30"},
            "reason": "撤站",
        },
        format="json",
    )
    assert close_station.status_code == 201, close_station.json()
    assert _transition(api(jx_admin2), close_station.json()["id"], "approve").status_code == 200
    station.refresh_from_db()
    assert (station.status, station.closed_on.isoformat()) == ("closed", "2026-11-30")
    # closing again is a conflict
    again = api(jx_admin).post(
        CHANGES,
        {"target": "station", "action": "close", "object_id": station.pk, "reason": "撤站"},
        format="json",
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"lat": 123.0}, "lat"),
        ({"lon": "abc"}, "lon"),
        ({"lon": 80.0, "lat": 40.0}, "lon"),  # outside Jiangxi
        ({"name_zh": "a\x07b"}, "name_zh"),
        ({"name_en": "a\u200bb"}, "name_en"),
        ({"opened_on": "9999-01-01"}, "opened_on"),
        ({"opened_on": "2020-01-01", "closed_on": "2019-01-01"}, "closed_on"),
        ({"code": "JX OLD"}, "code"),
        ({"kind": "volcano"}, "kind"),
    ],
)
def test_bad_station_values_are_400_naming_the_field(api, jx_admin, values, field):
    # when
    response = _propose_station(api(jx_admin), **values)
    # then
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert MasterDataChange.objects.count() == 0


def test_nul_byte_in_values_is_400(api, jx_admin):
    """NUL bytes are refused at the door (portal.middleware) before any field is read."""
    response = _propose_station(api(jx_admin), name_zh="a\x00b")
    assert response.status_code == 400
    assert MasterDataChange.objects.count() == 0


def test_duplicate_station_code_is_400(api, jx, jx_admin, make_station):
    make_station(jx, "JX-NEW")
    response = _propose_station(api(jx_admin))
    assert response.status_code == 400
    assert "code" in response.json()["errors"]


def test_bad_plausible_range_is_400(api, jx, jx_admin, make_station):
    make_station(jx, "JX-CCC")
    response = api(jx_admin).post(
        CHANGES,
        {
            "target": "channel",
            "action": "create",
            "values": {"station": "JX-CCC", "item": "WL", "plausible_min": 5, "plausible_max": 1},
            "reason": "新测项",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "plausible_max" in response.json()["errors"]


def test_channel_create_takes_unit_and_discipline_from_item(api, jx, jx_admin, jx_admin2, make_station):
    make_station(jx, "JX-DDD")
    proposed = api(jx_admin).post(
        CHANGES,
        {
            "target": "channel",
            "action": "create",
            "values": {"station": "JX-DDD", "item": "TILT_NS", "orientation": "NS", "interval": 60},
            "reason": "新测项",
        },
        format="json",
    )
    assert proposed.status_code == 201, proposed.json()
    assert _transition(api(jx_admin2), proposed.json()["id"], "approve").status_code == 200
    channel = Channel.objects.get(station__code="JX-DDD")
    assert (channel.item.code, channel.unit, channel.discipline.code, channel.interval) == (
        "TILT_NS",
        "ms",
        "deformation",
        60,
    )


def test_approval_revalidates_a_code_taken_meanwhile(api, jx, jx_admin, jx_admin2, make_station):
    """A station code taken between proposal and approval: the approval is a 400 naming
    ``code`` and the change stays proposed (to be rejected or withdrawn)."""
    change_id = _propose_station(api(jx_admin)).json()["id"]
    make_station(jx, "JX-NEW")
    # when
    response = _transition(api(jx_admin2), change_id, "approve")
    # then
    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert MasterDataChange.objects.get(pk=change_id).state == "proposed"
    assert Station.objects.filter(code="JX-NEW").count() == 1


def test_change_waits_for_the_second_admin_only(jx, jx_admin, jx_admin2, as_actor):
    from observations.services.changes import change_propose
    from portal.waiting import waiting_for

    change_propose(
        actor=as_actor(jx_admin),
        target="station",
        action="create",
        values={"code": "JX-EEE", "name_zh": "新台", "lon": 115.5, "lat": 28.2, "kind": "well"},
        reason="新建",
    )
    # then
    assert [i.kind for i in waiting_for(as_actor(jx_admin2))] == ["master_data_change"]
    assert [i.kind for i in waiting_for(as_actor(jx_admin))] == []


def test_change_list_filters_by_state_and_stays_in_the_bureau(api, jx_admin, jx_admin2, nm_admin):
    first = _propose_station(api(jx_admin), "JX-F1").json()["id"]
    _propose_station(api(jx_admin), "JX-F2")
    _transition(api(jx_admin2), first, "approve")
    # when
    proposed = api(jx_admin).get(CHANGES, {"state": "proposed"}).json()
    approved = api(jx_admin).get(CHANGES, {"state": "approved"}).json()
    other = api(nm_admin).get(CHANGES).json()
    # then
    assert [c["values"]["code"] for c in proposed["results"]] == ["JX-F2"]
    assert [c["values"]["code"] for c in approved["results"]] == ["JX-F1"]
    assert other["results"] == []


@pytest.mark.parametrize("state", ["proposed", "approved", "rejected", "withdrawn"])
@pytest.mark.parametrize("action", ["approve", "reject", "withdraw"])
def test_every_state_and_action(api, jx_admin, jx_admin2, state, action):
    """Only a proposed change moves; any other state is 409 and leaves the row and the
    audit trail as they were."""
    change_id = _propose_station(api(jx_admin)).json()["id"]
    if state != "proposed":
        mover = jx_admin if state == "withdrawn" else jx_admin2
        verb = {"approved": "approve", "rejected": "reject", "withdrawn": "withdraw"}[state]
        assert _transition(api(mover), change_id, verb, "因故").status_code == 200
    who = jx_admin if action == "withdraw" else jx_admin2
    audits = AuditEvent.objects.count()
    # when
    response = _transition(api(who), change_id, action, "因故")
    # then
    if state == "proposed":
        assert response.status_code == 200
        assert AuditEvent.objects.count() > audits
    else:
        assert response.status_code == 409
        assert MasterDataChange.objects.get(pk=change_id).state == state
        assert AuditEvent.objects.count() == audits
