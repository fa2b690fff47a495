"""Catalog pages: list and map, event page, quick-report paste page, inbox, imports; visibility."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Event, EventImport, EventStatus, QuickReportMessage, ReportKind
from catalog.quick_report import BEIJING
from catalog.services.events import Solution, event_record_solution

pytestmark = pytest.mark.django_db

JX_FORMAL = (
    "【江西省地震局】江西省地震台网测定:2017年12月21日09时10分在江西宜春市上高县"
    "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
)


def jx_formal_just_now() -> str:
    """JX_FORMAL dated ten minutes ago: the paste page receives a report now, and a
    report more than 30 days old is refused."""
    when = datetime.now(UTC).astimezone(BEIJING) - timedelta(minutes=10)
    return JX_FORMAL.replace("2017年12月21日09时10分", when.strftime("%Y年%m月%d日%H时%M分"))


def add(bureau, *, hours=0, lat=28.0, lon=115.0, mag=3.0, publish=True, place="江西宜春"):
    event, _, _ = event_record_solution(
        bureau=bureau,
        solution=Solution(
            origin_time=datetime(2024, 5, 1, 12, tzinfo=UTC) + timedelta(hours=hours),
            latitude=lat,
            longitude=lon,
            depth_km=10.0,
            magnitude=mag,
            magnitude_type="ML",
            location_name=place,
            status=EventStatus.REVIEWED if publish else EventStatus.AUTOMATIC,
            report_kind=ReportKind.CATALOG if publish else ReportKind.AUTOMATIC,
        ),
        data_origin="manual",
        publish=publish,
    )
    return event


def markers(response) -> list[str]:
    html = response.content.decode()
    start = html.index(">", html.index('id="event-markers"')) + 1
    return [m["id"] for m in json.loads(html[start : html.index("</script>", start)])]


def test_anonymous_list_shows_published_events_only(client, jx):
    public = add(jx, place="公开")
    hidden = add(jx, hours=1, publish=False, place="内部")
    response = client.get("/events/")
    assert response.status_code == 200
    assert markers(response) == [public.public_id]
    assert hidden.public_id not in response.content.decode()


def test_bureau_people_see_their_unpublished_events_and_others_do_not(client, jx, jx_viewer, nm_forecaster):
    hidden = add(jx, publish=False)
    client.force_login(nm_forecaster)
    assert markers(client.get("/events/")) == []
    assert client.get(f"/events/{hidden.public_id}/").status_code == 404
    client.force_login(jx_viewer)
    assert markers(client.get("/events/")) == [hidden.public_id]
    assert client.get(f"/events/{hidden.public_id}/").status_code == 200


def test_list_filters_by_magnitude_text_and_box(client, jx):
    big = add(jx, mag=5.0, place="上高县")
    add(jx, hours=1, mag=2.0, place="上高县")
    far = add(jx, hours=2, mag=4.0, lat=40, lon=100, place="别处")
    assert markers(client.get("/events/", {"minmag": 3})) == [far.public_id, big.public_id]
    assert markers(client.get("/events/", {"minmag": 3, "q": "上高"})) == [big.public_id]
    assert markers(client.get("/events/", {"minlat": 35, "maxlat": 45, "minlon": 95, "maxlon": 105})) == [
        far.public_id
    ]


def test_bad_filter_is_shown_not_a_500(client, jx):
    response = client.get("/events/", {"minlat": 95})
    assert response.status_code == 200
    assert "minlatitude" in response.content.decode()


def test_event_page_shows_both_times_versions_and_nearby(client, jx):
    old = add(jx, hours=-24 * 365, lat=28.5, mag=4.0, place="旧")
    event = add(jx, mag=5.0)
    add(jx, hours=0.0003, lat=28.01, mag=5.2)  # the same quake, revised: a second version
    response = client.get(f"/events/{event.public_id}/")
    html = response.content.decode()
    assert "2024-05-01 20:00:01.0" in html  # Beijing
    assert "2024-05-01 12:00:01.0" in html  # UTC
    assert html.count('<tr class="table-primary">') == 1
    assert old.public_id in html
    assert "No felt reports" in html or "没有" in html


def test_quick_report_page_creates_event_and_redirects(client, jx_forecaster):
    client.force_login(jx_forecaster)
    response = client.post("/events/quick-report/", {"text": jx_formal_just_now()})
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/events/{event.public_id}/"


def test_quick_report_page_shows_the_error_and_keeps_the_message(client, jx_forecaster):
    client.force_login(jx_forecaster)
    response = client.post("/events/quick-report/", {"text": "江西发生地震"})
    assert response.status_code == 400
    assert QuickReportMessage.objects.get().status == "failed"


def test_inbox_correction_creates_the_event(client, jx_forecaster):
    client.force_login(jx_forecaster)
    client.post("/events/quick-report/", {"text": "garbled"})
    message = QuickReportMessage.objects.get()
    response = client.post("/events/inbox/", {"message": message.pk, "text": jx_formal_just_now()})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "corrected"


@pytest.mark.parametrize("path", ["/events/quick-report/", "/events/inbox/", "/events/imports/"])
def test_intake_pages_refuse_viewers(client, jx_viewer, path):
    client.force_login(jx_viewer)
    assert client.get(path).status_code == 403


def test_inbox_of_another_bureau_is_not_shown_or_correctable(client, jx_forecaster, nm_forecaster):
    client.force_login(jx_forecaster)
    client.post("/events/quick-report/", {"text": "garbled jx"})
    message = QuickReportMessage.objects.get()
    client.force_login(nm_forecaster)
    assert "garbled jx" not in client.get("/events/inbox/").content.decode()
    assert client.post("/events/inbox/", {"message": message.pk, "text": JX_FORMAL}).status_code == 404
    message.refresh_from_db()
    assert message.status == "failed"


def test_import_page_queues_and_lists(client, jx_forecaster, django_capture_on_commit_callbacks):
    client.force_login(jx_forecaster)
    upload = SimpleUploadedFile("c.csv", b"time,lat,lon,depth,mag\n2024-01-01T00:00:00,28,115,5,3.0\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/events/imports/", {"file": upload, "publish": "on"})
    assert response.status_code == 302
    assert EventImport.objects.get().status == "done"
    assert "c.csv" in client.get("/events/imports/").content.decode()


def test_menu_has_the_catalog_entries(client, jx_forecaster):
    client.force_login(jx_forecaster)
    html = client.get("/events/").content.decode()
    assert 'href="/events/quick-report/"' in html
    assert 'href="/events/inbox/"' in html


def test_forecaster_dashboard_lists_recent_events_of_the_jurisdiction(client, jx, jx_forecaster):
    from django.utils import timezone

    from catalog.dashboard import recent_events_panel
    from portal.tenancy import actor_for

    inside, _, _ = event_record_solution(
        bureau=jx,
        solution=Solution(
            origin_time=timezone.now() - timedelta(days=2),
            latitude=28.0,
            longitude=115.0,
            depth_km=8.0,
            magnitude=4.2,
            magnitude_type="ML",
            location_name="江西宜春",
        ),
        data_origin="manual",
        publish=True,
    )
    add(jx, lat=40.0, lon=100.0, mag=5.0)  # outside the jurisdiction
    panel = recent_events_panel(actor_for(jx_forecaster))
    assert panel.count == 1
    assert [item.url for item in panel.items] == [inside.get_absolute_url()]
    client.force_login(jx_forecaster)
    assert "江西宜春" in client.get("/").content.decode()


def test_bureau_admin_dashboard_counts_failed_quick_reports(client, jx_admin):
    client.force_login(jx_admin)
    client.post("/events/quick-report/", {"text": "garbled"})
    from catalog.dashboard import failed_quick_reports_panel
    from portal.tenancy import actor_for

    assert failed_quick_reports_panel(actor_for(jx_admin)).count == 1
