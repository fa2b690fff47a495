"""Quick-report intake, inbox and corrections, event and import APIs; refusals and tenant isolation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Event, EventImport, EventVersion, QuickReportMessage

pytestmark = pytest.mark.django_db

JX_FORMAL = (
    "【江西省地震局】江西省地震台网测定:2017年12月21日09时10分在江西宜春市上高县"
    "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
)
CENC_ISO = (
    "中国地震台网中心正式测定：2017-12-02 06:18:07在内蒙古赤峰市阿鲁科尔沁旗发生3.2级地震，"
    "震中纬度44.10，经度120.73，震源深度15km。"
)
CENC_NO_YEAR = (
    "中国地震台网正式测定：12月18日23时59分在甘肃临夏州积石山县（北纬35.70度，东经102.79度）"
    "发生6.2级地震，震源深度10公里。"
)
CENC_AUTO = (
    "中国地震台网自动测定：01月22日02时09分在新疆阿克苏地区乌什县附近（北纬41.26度，东经78.63度）"
    "发生7.1级左右地震，最终结果以正式速报为准。"
)
# The formal report of the same quake: to the second, the epicentre moved ~5 km, depth added.
CENC_AUTO_SAME_QUAKE_FORMAL = (
    "中国地震台网中心正式测定：2024-01-22 02:09:43在新疆阿克苏地区乌什县发生7.1级地震，"
    "震中纬度41.30，经度78.60，震源深度22km。"
)


#: When JX_FORMAL arrived; CENC_ISO (19 days earlier) is within the 30 days a report may lag.
RECEIVED = "2017-12-21T09:15:00+08:00"


def post(client, text, received_at=RECEIVED):
    body = {"text": text, "received_at": received_at or RECEIVED}
    return client.post("/api/v1/quick-reports/", body, format="json")


@pytest.mark.parametrize(
    ("text", "received_at", "expected"),
    [
        (
            JX_FORMAL,
            None,
            {
                "origin_time": "2017-12-21T09:10:00.000+08:00",
                "latitude": 28.11,
                "longitude": 115.01,
                "depth_km": 5.0,
                "magnitude": 2.4,
                "magnitude_type": "M",
                "location_name": "江西宜春市上高县",
                "report_kind": "formal",
                "source": "JX",
            },
        ),
        (
            CENC_ISO,
            None,
            {
                "origin_time": "2017-12-02T06:18:07.000+08:00",
                "latitude": 44.10,
                "longitude": 120.73,
                "depth_km": 15.0,
                "magnitude": 3.2,
                "location_name": "内蒙古赤峰市阿鲁科尔沁旗",
                "report_kind": "formal",
                "source": "CENC",
            },
        ),
        (
            CENC_NO_YEAR,
            "2023-12-19T00:05:00+08:00",
            {
                "origin_time": "2023-12-18T23:59:00.000+08:00",
                "latitude": 35.70,
                "longitude": 102.79,
                "depth_km": 10.0,
                "magnitude": 6.2,
                "location_name": "甘肃临夏州积石山县",
                "report_kind": "formal",
            },
        ),
        (
            CENC_AUTO,
            "2024-01-22T02:12:00+08:00",
            {
                "origin_time": "2024-01-22T02:09:00.000+08:00",
                "latitude": 41.26,
                "longitude": 78.63,
                "depth_km": None,
                "magnitude": 7.1,
                "report_kind": "automatic",
                "source": "CENC",
            },
        ),
    ],
    ids=["jx-formal", "cenc-iso", "cenc-no-year", "cenc-automatic"],
)
def test_every_domain_format_creates_an_event(api, jx_forecaster, text, received_at, expected):
    # when
    response = post(api(jx_forecaster), text, received_at)
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in expected} == expected
    event = Event.objects.get(public_id=body["id"])
    assert event.bureau.code == "JX"
    assert QuickReportMessage.objects.get().status == "parsed"


def test_formal_reports_are_published_and_automatic_ones_are_not(api, jx_forecaster):
    formal = post(api(jx_forecaster), JX_FORMAL).json()
    automatic = post(api(jx_forecaster), CENC_AUTO, "2024-01-22T02:12:00+08:00").json()
    assert formal["is_published"] is True
    assert automatic["is_published"] is False


def test_same_report_twice_is_200_with_the_same_event(api, jx_forecaster):
    client = api(jx_forecaster)
    first = post(client, JX_FORMAL)
    again = post(client, JX_FORMAL.replace(",", "，"))  # full-width punctuation, same report
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["repeated"] is True
    assert Event.objects.count() == 1


def test_formal_report_after_automatic_becomes_a_new_version(api, jx_forecaster):
    client = api(jx_forecaster)
    automatic = post(client, CENC_AUTO, "2024-01-22T02:12:00+08:00").json()
    formal = post(client, CENC_AUTO_SAME_QUAKE_FORMAL, "2024-01-22T02:20:00+08:00")
    assert formal.status_code == 200
    body = formal.json()
    assert body["id"] == automatic["id"]
    assert (body["version"], body["report_kind"], body["depth_km"], body["is_published"]) == (
        2,
        "formal",
        22.0,
        True,
    )
    event = Event.objects.get()
    assert list(EventVersion.objects.filter(event=event).values_list("report_kind", flat=True)) == [
        "automatic",
        "formal",
    ]


def test_a_report_of_another_quake_nearby_is_a_new_event(api, jx_forecaster):
    client = api(jx_forecaster)
    post(client, CENC_AUTO, "2024-01-22T02:12:00+08:00")
    later = CENC_AUTO_SAME_QUAKE_FORMAL.replace("02:09:43", "02:14:43")  # five minutes later
    assert post(client, later, "2024-01-22T02:20:00+08:00").status_code == 201
    assert Event.objects.count() == 2


def test_unparseable_report_is_400_naming_the_part_and_kept_in_the_inbox(api, jx_forecaster):
    text = "中国地震台网正式测定：在新疆某地发生地震"
    response = post(api(jx_forecaster), text)
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["time"]
    message = QuickReportMessage.objects.get(pk=body["message_id"])
    assert (message.status, message.text, message.error_part) == ("failed", text, "time")
    assert Event.objects.count() == 0


def test_failed_report_corrected_creates_the_event(api, jx_forecaster):
    client = api(jx_forecaster)
    failed = post(client, JX_FORMAL.replace("2.4级", "级")).json()
    assert failed["errors"].keys() == {"magnitude"}
    response = client.post(
        f"/api/v1/quick-reports/{failed['message_id']}/correct/", {"text": JX_FORMAL}, format="json"
    )
    assert response.status_code == 201
    message = QuickReportMessage.objects.get()
    assert (message.status, message.event.public_id, message.corrected_by) == (
        "corrected",
        response.json()["id"],
        jx_forecaster,
    )


def test_a_bad_correction_keeps_the_message_failed_with_the_new_error(api, jx_forecaster):
    client = api(jx_forecaster)
    failed = post(client, "nonsense").json()
    response = client.post(
        f"/api/v1/quick-reports/{failed['message_id']}/correct/",
        {"text": JX_FORMAL.replace("北纬28.11度", "北纬98.11度")},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["latitude"]
    message = QuickReportMessage.objects.get()
    assert (message.status, message.error_part) == ("failed", "latitude")
    assert "北纬98.11度" in message.corrected_text


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("outsider", 403),
        ("jx_viewer", 403),
        ("jx_reporter", 403),
        ("jx_admin", 201),
        ("sysadmin", 201),
    ],
)
def test_who_may_post_quick_reports(api, request, jx, who, status):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    bureau = "JX" if who == "sysadmin" else None
    response = post(api(user, bureau), JX_FORMAL)
    assert response.status_code == status
    assert Event.objects.count() == (1 if status == 201 else 0)


def test_inbox_and_corrections_are_per_bureau(api, jx_forecaster, nm_forecaster):
    failed = post(api(jx_forecaster), "nonsense").json()
    nm = api(nm_forecaster)
    assert nm.get("/api/v1/quick-reports/").json()["results"] == []
    response = nm.post(
        f"/api/v1/quick-reports/{failed['message_id']}/correct/", {"text": JX_FORMAL}, format="json"
    )
    assert response.status_code == 404
    assert QuickReportMessage.objects.get().status == "failed"
    inbox = api(jx_forecaster).get("/api/v1/quick-reports/?status=failed").json()["results"]
    assert [m["id"] for m in inbox] == [failed["message_id"]]


def test_unpublished_events_are_hidden_from_other_bureaus_in_list_and_detail(
    api, jx_forecaster, nm_forecaster
):
    automatic = post(api(jx_forecaster), CENC_AUTO, "2024-01-22T02:12:00+08:00").json()
    formal = post(api(jx_forecaster), JX_FORMAL).json()
    anonymous = api()
    assert [e["id"] for e in anonymous.get("/api/v1/events/").json()["results"]] == [formal["id"]]
    assert [e["id"] for e in api(nm_forecaster).get("/api/v1/events/").json()["results"]] == [formal["id"]]
    assert api(nm_forecaster).get(f"/api/v1/events/{automatic['id']}/").status_code == 404
    assert anonymous.get(f"/api/v1/events/{automatic['id']}/").status_code == 404
    mine = api(jx_forecaster).get(f"/api/v1/events/{automatic['id']}/").json()
    assert [v["report_kind"] for v in mine["versions"]] == ["automatic"]


def test_event_list_refuses_bad_filters_naming_them(api):
    response = api().get("/api/v1/events/?minlatitude=100")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["minlatitude"]


CSV = "time,latitude,longitude,depth,mag,magType,place\n2024-03-01T00:00:00,28.0,115.0,10,3.1,ML,a\n2024-03-02T00:00:00,28.5,115.5,10,x,ML,b\n"


def test_import_api_runs_and_reports_the_summary(api, jx_forecaster, django_capture_on_commit_callbacks):
    client = api(jx_forecaster)
    upload = SimpleUploadedFile("events.csv", CSV.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/events/imports/", {"file": upload}, format="multipart")
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert (status["status"], status["inserted"], status["rejected"]) == ("done", 1, 1)
    assert status["errors"] == [{"line": 3, "reason": "magnitude 'x' is not a number"}]


def test_import_api_refuses_viewers_and_other_bureaus_status(api, jx_forecaster, jx_viewer, nm_forecaster):
    upload = SimpleUploadedFile("events.csv", CSV.encode(), content_type="text/csv")
    assert (
        api(jx_viewer).post("/api/v1/events/imports/", {"file": upload}, format="multipart").status_code
        == 403
    )
    upload = SimpleUploadedFile("events.csv", CSV.encode(), content_type="text/csv")
    created = api(jx_forecaster).post("/api/v1/events/imports/", {"file": upload}, format="multipart").json()
    assert api(nm_forecaster).get(f"/api/v1/events/imports/{created['id']}/").status_code == 404
    assert EventImport.objects.count() == 1


def test_import_of_a_broken_file_fails_with_the_line(api, jx_forecaster, django_capture_on_commit_callbacks):
    client = api(jx_forecaster)
    upload = SimpleUploadedFile(
        "events.xml", b"<?xml version='1.0'?>\n<q:quakeml>\n<oops>\n", content_type="text/xml"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/events/imports/", {"file": upload}, format="multipart")
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed"
    assert "line 2: Namespace prefix q on quakeml is not defined" in status["error"]
    assert Event.objects.count() == 0


def test_origin_time_is_beijing_time(api, jx_forecaster):
    body = post(api(jx_forecaster), JX_FORMAL).json()
    assert Event.objects.get().origin_time == datetime(2017, 12, 21, 1, 10, tzinfo=UTC)
    assert body["origin_time"].endswith("+08:00")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_runs_in_the_real_worker(api, real_celery, jx_forecaster):
    """The upload answers 202 at once; the worker imports and the status shows the summary."""
    import time

    client = api(jx_forecaster)
    rows = "".join(f"2024-03-{d:02d}T00:00:00,28.{d:02d},115.0,10,3.{d % 10},ML,p{d}\n" for d in range(1, 29))
    upload = SimpleUploadedFile(
        "month.csv", ("time,latitude,longitude,depth,mag,magType,place\n" + rows).encode()
    )
    created = client.post("/api/v1/events/imports/", {"file": upload}, format="multipart")
    assert created.status_code == 202
    deadline = time.monotonic() + 60
    status = created.json()
    while status["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        status = client.get(created.json()["status_url"]).json()
    assert (status["status"], status["inserted"], status["rejected"], status["progress"]) == (
        "done",
        28,
        0,
        1.0,
    )
    assert Event.objects.filter(bureau__code="JX").count() == 28
