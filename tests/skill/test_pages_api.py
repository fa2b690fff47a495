"""The ranking and channel pages and the API: tenancy (another province's channel 404, CENC
reads its own scores of published material), the recompute button, the settings page, the
OpenAPI schema."""

from __future__ import annotations

import pytest
from django.utils import translation

from skill import services
from skill.models import SkillScore
from tests.skill.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def scored(jx, jx_well, jx_history):
    services.score_bureau(bureau=jx, now=NOW)
    return SkillScore.objects.get(bureau=jx, channel=jx_well)


def test_ranking_page_lists_the_channel_with_its_counts_and_the_molchan_point(client, jx_forecaster, scored):
    client.force_login(jx_forecaster)
    page = client.get("/skill/?discipline=fluid", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-channel="{scored.channel_id}"' in html
    assert f'href="/skill/channels/{scored.channel_id}/"' in html
    assert 'data-dots="1"' in html
    assert "skill-recompute" not in html  # a forecaster reads; admins and experts recompute


def test_ranking_filtered_to_another_discipline_is_empty(client, jx_forecaster, scored):
    client.force_login(jx_forecaster)
    page = client.get("/skill/?discipline=seismology")
    assert f'data-channel="{scored.channel_id}"' not in page.content.decode()


def test_channel_page_shows_alarms_and_quakes(client, jx_forecaster, scored, jx_history):
    client.force_login(jx_forecaster)
    page = client.get(f"/skill/channels/{scored.channel_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    a1, _a2, a3, *_ = jx_history["a"]
    e1, e2, *_ = jx_history["e"]
    assert f"/disciplines/anomalies/{a1.pk}/" in html
    assert f"/disciplines/anomalies/{a3.pk}/" in html
    assert e1.get_absolute_url() in html
    assert e2.get_absolute_url() in html
    assert html.count('class="span"') == 2


def test_another_province_gets_404_for_jx_channel(client, api, nm_admin, scored):
    client.force_login(nm_admin)
    assert client.get(f"/skill/channels/{scored.channel_id}/").status_code == 404
    assert api(nm_admin).get(f"/api/v1/skill/channels/{scored.channel_id}/").status_code == 404
    listed = api(nm_admin).get("/api/v1/skill/")
    assert listed.status_code == 200
    assert listed.json()["count"] == 0


def test_cenc_reads_its_own_score_of_published_material(api, cenc, cenc_forecaster, scored, published_alarm):
    # before CENC scored: nothing (JX's row is JX's)
    assert api(cenc_forecaster).get(f"/api/v1/skill/channels/{scored.channel_id}/").status_code == 404
    services.score_bureau(bureau=cenc, now=NOW)
    body = api(cenc_forecaster).get(f"/api/v1/skill/channels/{scored.channel_id}/").json()
    a1 = published_alarm
    assert body["alarms"] == 2  # a1 (tracking) and the assessed one; not the unassessed detection
    assert a1.pk in body["hit_anomalies"]


def test_api_list_fields(api, jx_forecaster, scored):
    response = api(jx_forecaster).get("/api/v1/skill/?discipline=fluid")
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row["channel"] == scored.channel_id
    assert row["station"] == "JX-T1"
    assert row["item"] == "WL"
    assert row["discipline"] == "fluid"
    assert (row["alarms"], row["hits"], row["misses"], row["false_alarms"]) == (2, 1, 1, 1)
    assert row["r_score"] == pytest.approx(0.1)
    assert row["r0"] is None
    assert row["gain"] == pytest.approx(1.25)
    assert row["molchan"] == {"tau": pytest.approx(0.4), "nu": pytest.approx(0.5)}
    assert row["params"] == {"magnitude": 5.0, "radius_km": 200.0, "days": 180}
    assert row["computed_at"]


def test_api_bad_discipline_is_a_400_naming_it(api, jx_forecaster):
    response = api(jx_forecaster).get("/api/v1/skill/?discipline=astrology")
    assert response.status_code == 400
    assert "discipline" in response.json()["errors"]


def test_schema_documents_the_skill_api(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/skill/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"discipline", "bureau", "page"} <= names
    assert "/api/v1/skill/channels/{channel_id}/" in schema["paths"]


def test_recompute_button_queues_the_task_for_an_expert(
    client, jx_expert, jx, jx_well, jx_history, django_capture_on_commit_callbacks
):
    client.force_login(jx_expert)
    assert "skill-recompute" in client.get("/skill/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/skill/recompute/")
    assert response.status_code == 302
    assert SkillScore.objects.filter(bureau=jx).count() == 1


def test_recompute_is_403_for_a_viewer(client, jx_viewer):
    client.force_login(jx_viewer)
    assert client.post("/skill/recompute/").status_code == 403


def test_settings_page_for_the_admin_only(client, jx_admin, jx_forecaster):
    client.force_login(jx_forecaster)
    assert client.get("/skill/settings/").status_code == 403
    client.force_login(jx_admin)
    assert client.get("/skill/settings/").status_code == 200
    response = client.post(
        "/skill/settings/",
        {"discipline": "deformation", "magnitude": "4.5", "radius_km": "150", "days": "90"},
    )
    assert response.status_code == 302
    html = client.get("/skill/settings/").content.decode()
    assert "150" in html
    assert "90" in html


def test_ranking_at_phone_width_has_a_scrolling_table(client, jx_forecaster, scored):
    client.force_login(jx_forecaster)
    html = client.get("/skill/").content.decode()
    assert '<div class="table-responsive">' in html
    assert 'id="nav-skill"' in html


def test_a_system_admin_reads_the_scores_of_the_bureau_he_acts_in(
    client, sysadmin, jx, cenc, scored, published_alarm
):
    from skill import selectors
    from tests.conftest import actor

    services.score_bureau(bureau=cenc, now=NOW)  # two scores of the channel: JX's and CENC's
    assert selectors.score_get(actor=actor(sysadmin, "JX"), channel_id=scored.channel_id).bureau_id == jx.pk
    assert (
        selectors.score_get(actor=actor(sysadmin, "CENC"), channel_id=scored.channel_id).bureau_id == cenc.pk
    )
    client.force_login(sysadmin)
    assert client.get(f"/skill/channels/{scored.channel_id}/").status_code == 404  # no bureau chosen
