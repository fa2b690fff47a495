"""The zone pages render for each role (list with the map, a zone's page with its plan,
linked material and history, the forms, a tracking report), the anomaly page's "link to
danger zone", the dashboard's map panel and the report list across kinds."""

from __future__ import annotations

import json

import pytest

from consultations.models import Meeting
from portal.models import RenderedDocument
from zones import selectors, services
from zones.models import DangerZone, TrackingPlan, ZoneAnomaly, ZoneMeeting

pytestmark = pytest.mark.django_db

POLY = json.dumps(
    {"type": "Polygon", "coordinates": [[[114, 27], [116, 27], [116, 29], [114, 29], [114, 27]]]}
)


def test_list_and_zone_page_for_every_role(
    client, cenc, jx, make_zone, jx_forecaster, jx_viewer, cenc_forecaster, jx_admin
):
    zone = make_zone(cenc, bureaus=[jx])
    for user in (jx_forecaster, jx_viewer, cenc_forecaster, jx_admin):
        client.force_login(user)
        listing = client.get("/zones/")
        assert listing.status_code == 200
        assert f'data-zone="{zone.pk}"' in listing.content.decode()
        assert "zones-list-data" in listing.content.decode()
        detail = client.get(f"/zones/{zone.pk}/")
        assert detail.status_code == 200
        html = detail.content.decode()
        assert ("plan-edit" in html) == (user in (jx_forecaster, cenc_forecaster))
        assert ("zone-withdraw" in html) == (user == cenc_forecaster)


def test_a_draft_of_another_bureau_is_404_and_edit_of_a_readable_one_403(
    client, cenc, jx, make_zone, jx_forecaster
):
    draft = make_zone(cenc, status="draft")
    published = make_zone(cenc, name="已发布")
    client.force_login(jx_forecaster)
    assert client.get(f"/zones/{draft.pk}/").status_code == 404
    assert client.get(f"/zones/{published.pk}/edit/").status_code == 403
    assert client.post(f"/zones/{published.pk}/move/", {"action": "withdraw"}).status_code == 403


def test_enter_a_zone_through_the_form(client, cenc, cenc_forecaster, jx):
    client.force_login(cenc_forecaster)
    assert client.get("/zones/new/").status_code == 200
    bad = client.post(
        "/zones/new/",
        {
            "name": "赣中",
            "year": selectors.current_year(),
            "level": "high",
            "min_magnitude": "5.0",
            "polygon": '{"type": "Point", "coordinates": [1, 2]}',
        },
    )
    assert bad.status_code == 200
    assert "polygon-error" in bad.content.decode()
    made = client.post(
        "/zones/new/",
        {
            "name": "赣中",
            "year": selectors.current_year(),
            "level": "high",
            "min_magnitude": "5.0",
            "max_magnitude": "6.5",
            "bureaus": ["JX"],
            "polygon": POLY,
        },
    )
    zone = DangerZone.objects.get(name="赣中")
    assert made.status_code == 302
    assert made["Location"] == f"/zones/{zone.pk}/"
    assert list(zone.bureaus.values_list("code", flat=True)) == ["JX"]
    assert client.post(f"/zones/{zone.pk}/move/", {"action": "publish"}).status_code == 302
    zone.refresh_from_db()
    assert zone.status == "published"


def test_plan_links_and_reports_through_the_pages(
    client, cenc, jx, make_zone, jx_forecaster, jx_approver, jx_anomaly
):
    zone = make_zone(cenc)
    meeting = Meeting.objects.create(
        bureau=jx, kind="special_topic", title="华南片区联合会商", starts_at=zone.created_at
    )
    client.force_login(jx_forecaster)
    assert client.get(f"/zones/{zone.pk}/plan/").status_code == 200
    saved = client.post(
        f"/zones/{zone.pk}/plan/",
        {"items": "水位, 水温", "frequency": "daily", "watchers": [str(jx_forecaster.pk)]},
    )
    assert saved.status_code == 302
    assert TrackingPlan.objects.get(zone=zone, bureau=jx).frequency == "daily"
    assert (
        client.post(f"/zones/{zone.pk}/link/", {"kind": "meeting", "target": meeting.pk}).status_code == 302
    )
    assert ZoneMeeting.objects.filter(zone=zone, meeting=meeting).exists()
    assert client.post(f"/zones/{zone.pk}/link/", {"kind": "anomaly", "target": "x"}).status_code == 400
    # the anomaly page offers the zone and links it
    page = client.get(f"/disciplines/anomalies/{jx_anomaly.pk}/").content.decode()
    assert "anomaly-zone-link" in page
    assert client.post(f"/zones/anomalies/{jx_anomaly.pk}/link/", {"zone": zone.pk}).status_code == 302
    assert ZoneAnomaly.objects.filter(zone=zone, anomaly=jx_anomaly).exists()
    assert "anomaly-zones-linked" in client.get(f"/disciplines/anomalies/{jx_anomaly.pk}/").content.decode()
    html = client.get(f"/zones/{zone.pk}/").content.decode()
    assert f'data-anomaly="{jx_anomaly.pk}"' in html
    assert "华南片区联合会商" in html
    assert "水位, 水温" in html
    # a quarterly report: drafted, submitted, issued (its PDF queued through portal.documents)
    made = client.post(f"/zones/{zone.pk}/reports/new/", {"year": zone.year, "quarter": 1})
    assert made.status_code == 302
    report_url = made["Location"]
    assert client.get(report_url).status_code == 200
    assert (
        client.post(report_url, {"title": "赣中跟踪季报", "body": "平稳", "judgement": "无"}).status_code
        == 302
    )
    assert client.post(f"{report_url}move/", {"action": "submit"}).status_code == 302
    client.force_login(jx_approver)
    assert client.post(f"{report_url}move/", {"action": "issue"}).status_code == 302
    # the report list across kinds shows it
    assert "赣中跟踪季报" in client.get("/reports/").content.decode()


def test_the_dashboard_shows_this_years_zones_on_a_map(client, cenc, jx, make_zone, jx_viewer):
    make_zone(cenc, name="赣中危险区")
    client.force_login(jx_viewer)
    html = client.get("/").content.decode()
    assert "zones-dashboard-map" in html
    assert "赣中危险区" in html


def test_the_tracking_report_pdf_is_queued_not_rendered_in_the_request(
    client, cenc, jx, make_zone, jx_forecaster, as_actor
):
    zone = make_zone(cenc)
    report = services.report_create(actor=as_actor(jx_forecaster), zone=zone, year=zone.year, quarter=3)
    client.force_login(jx_forecaster)
    answer = client.get(f"/zones/reports/{report.pk}/pdf/")
    assert answer.status_code == 202
    assert RenderedDocument.objects.filter(kind="tracking_report", object_id=report.pk).exists()


def test_the_pdf_renders_in_the_worker(cenc, jx, make_zone, jx_forecaster, as_actor):
    from zones.documents import _render

    zone = make_zone(cenc)
    report = services.report_create(actor=as_actor(jx_forecaster), zone=zone, year=zone.year, quarter=4)
    assert _render(report.pk)[:4] == b"%PDF"


def test_a_joint_consultation_links_its_zones_from_the_meeting_page(
    client, cenc, jx, nm, make_zone, jx_forecaster, jx_viewer, nm_forecaster
):
    """构造片区联合会商: the meeting page shows the zones the consultation concerns and links
    another; a viewer sees the links but no form; another bureau's meeting is 404."""
    zone = make_zone(cenc, name="赣中危险区")
    meeting = Meeting.objects.create(
        bureau=jx, kind="special_topic", title="华南片区联合会商", starts_at=zone.created_at
    )
    client.force_login(jx_forecaster)
    page = client.get(f"/consultations/meetings/{meeting.pk}/").content.decode()
    assert 'id="meeting-zone-link"' in page
    assert "赣中危险区" in page
    linked = client.post(f"/zones/meetings/{meeting.pk}/link/", {"zone": zone.pk})
    assert (linked.status_code, linked["Location"]) == (302, f"/consultations/meetings/{meeting.pk}/")
    assert ZoneMeeting.objects.filter(zone=zone, meeting=meeting).exists()
    page = client.get(f"/consultations/meetings/{meeting.pk}/").content.decode()
    assert 'id="meeting-zones-linked"' in page
    assert 'id="meeting-zone-link"' not in page  # nothing left to link
    assert "华南片区联合会商" in client.get(f"/zones/{zone.pk}/").content.decode()
    assert client.post(f"/zones/meetings/{meeting.pk}/link/", {"zone": "x"}).status_code == 400

    client.force_login(jx_viewer)
    page = client.get(f"/consultations/meetings/{meeting.pk}/").content.decode()
    assert 'id="meeting-zones-linked"' in page
    assert client.post(f"/zones/meetings/{meeting.pk}/link/", {"zone": zone.pk}).status_code == 403

    client.force_login(nm_forecaster)
    assert client.post(f"/zones/meetings/{meeting.pk}/link/", {"zone": zone.pk}).status_code == 404
