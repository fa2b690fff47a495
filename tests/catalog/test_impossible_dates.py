"""Impossible dates are refused with the reason, and what is stored stays as it was.

* a quick report's origin time lies between 30 days before its receipt and one hour
  after it (catalog/quick_report.py); the refused SMS waits in the inbox, as any
  unreadable one does;
* ``received_at`` is not before 1900 nor more than five minutes ahead (catalog/services/quick_reports.py);
* an imported event is not later than one hour from now: the row is rejected with its line;
* FDSN ``limit`` / ``offset`` beyond 2147483647 are 400 naming the parameter.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from catalog.models import Event, QuickReportMessage
from catalog.quick_report import BEIJING, QuickReportParseError, parse_quick_report
from catalog.services.events import Solution, event_record_solution
from catalog.services.import_writer import import_file
from portal.exceptions import InvalidInput

pytestmark = pytest.mark.django_db

TEMPLATE = (
    "【江西省地震局】江西省地震台网测定:{when}在江西宜春市上高县"
    "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
)
Q = "/fdsnws/event/1/query"


def sms(when: datetime | str) -> str:
    text = when if isinstance(when, str) else when.astimezone(BEIJING).strftime("%Y年%m月%d日%H时%M分")
    return TEMPLATE.format(when=text)


def post(client, text, received_at=None):
    body = {"text": text}
    if received_at is not None:
        body["received_at"] = received_at
    return client.post("/api/v1/quick-reports/", body, format="json")


def now() -> datetime:
    return datetime.now(UTC)


# --- quick reports: origin time near the receipt -----------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("9999年12月31日09时10分", id="year-9999"),
        pytest.param("0001年01月01日09时10分", id="year-0001"),
        pytest.param("0001年01月01日07时10分", id="year-0001-before-utc"),
        pytest.param("next-year", id="next-year"),
        pytest.param("two-hours-ahead", id="two-hours-ahead"),
        pytest.param("31-days-old", id="31-days-old"),
    ],
)
def test_api_refuses_a_quick_report_far_from_its_receipt_and_keeps_it_in_the_inbox(
    api, jx_forecaster, written
):
    # given
    shifted = {
        "next-year": now() + timedelta(days=366),
        "two-hours-ahead": now() + timedelta(hours=2),
        "31-days-old": now() - timedelta(days=31),
    }
    text = sms(shifted.get(written, written))
    # when
    response = post(api(jx_forecaster), text)
    # then
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["time"]
    message = QuickReportMessage.objects.get(pk=body["message_id"])
    assert (message.status, message.error_part, message.text) == ("failed", "time", text)
    assert Event.objects.count() == 0


def test_api_accepts_a_report_from_within_the_window(api, jx_forecaster):
    for lag in (timedelta(minutes=-50), timedelta(days=29)):
        response = post(api(jx_forecaster), sms(now() - lag).replace("2.4级", f"{3 + lag.days / 10:.1f}级"))
        assert response.status_code == 201, response.json()


def test_new_year_report_without_a_year_still_takes_the_year_before():
    # received just after midnight on 1 January, the text says 31 December, no year
    text = TEMPLATE.format(when="12月31日23时50分")
    report = parse_quick_report(text, received_at=datetime(2018, 1, 1, 0, 3, tzinfo=BEIJING))
    assert report.origin_time == datetime(2017, 12, 31, 15, 50, tzinfo=UTC)


def test_parser_names_the_rule_it_broke():
    with pytest.raises(QuickReportParseError) as refused:
        parse_quick_report(sms("2019年01月01日09时10分"), received_at=datetime(2019, 3, 1, tzinfo=UTC))
    assert refused.value.part == "time"
    assert "more than 30 days before the message was received" in refused.value.message


def test_paste_page_shows_why_a_year_9999_report_is_refused(jx_forecaster):
    client = Client()
    client.force_login(jx_forecaster)
    response = client.post("/events/quick-report/", {"text": sms("9999年12月31日09时10分")})
    assert response.status_code == 400
    assert "more than one hour after the message was received" in response.content.decode()
    assert QuickReportMessage.objects.get().status == "failed"
    assert Event.objects.count() == 0


def test_a_correction_to_an_impossible_date_keeps_the_message_failed(api, jx_forecaster):
    # given: a garbled report waiting in the inbox
    client = api(jx_forecaster)
    failed = post(client, "garbled").json()
    # when: the "correction" is dated 9999
    response = client.post(
        f"/api/v1/quick-reports/{failed['message_id']}/correct/",
        {"text": sms("9999年12月31日09时10分")},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["time"]
    assert QuickReportMessage.objects.get().status == "failed"
    assert Event.objects.count() == 0


# --- quick reports: received_at -----------------------------------------------------------


@pytest.mark.parametrize(
    "received_at",
    ["0001-01-01T00:00:00+08:00", "1899-12-31T23:00:00+00:00", "9999-12-31T23:59:59+08:00", "tomorrow"],
)
def test_api_refuses_an_impossible_receipt_time_and_stores_nothing(api, jx_forecaster, received_at):
    if received_at == "tomorrow":
        received_at = (now() + timedelta(days=1)).isoformat()
    response = post(api(jx_forecaster), sms(now() - timedelta(minutes=5)), received_at)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["received_at"]
    assert QuickReportMessage.objects.count() == 0
    assert Event.objects.count() == 0


def test_api_refuses_a_receipt_time_beyond_utc_year_9999(api, jx_forecaster):
    response = post(api(jx_forecaster), sms(now()), "9999-12-31T23:59:59-12:00")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["received_at"]
    assert QuickReportMessage.objects.count() == 0


# --- imports --------------------------------------------------------------------------------


def _import(bureau, text: str):
    data = text.encode("utf-8")
    return import_file(bureau=bureau, fileobj=io.BytesIO(data), file_format="csv", size=len(data))


def test_import_rejects_future_rows_with_their_line_and_keeps_the_rest(jx):
    # given
    soon = (now() + timedelta(minutes=30)).astimezone(BEIJING)
    later = (now() + timedelta(days=2)).astimezone(BEIJING)
    text = (
        "发震日期,发震时刻,纬度(°),经度(°),深度(km),震级,事件类型,参考地点\n"
        "2024-01-02,10:14:37.7,28.11,115.01,5,ML2.4,天然地震,江西宜春市上高县\n"
        f"{later:%Y-%m-%d},{later:%H:%M:%S},28.20,115.10,5,ML3.0,天然地震,future\n"
        "9999-12-31,23:59:59,28.30,115.20,5,ML3.0,天然地震,year 9999\n"
        "0001-01-01,00:00:00,28.40,115.30,5,ML3.0,天然地震,year 1\n"
        f"{soon:%Y-%m-%d},{soon:%H:%M:%S},28.50,115.40,5,ML2.0,天然地震,clock ahead\n"
    )
    # when
    summary = _import(jx, text)
    # then
    assert (summary.inserted, summary.rejected) == (2, 3)
    assert [e["line"] for e in summary.errors] == [3, 4, 5]
    assert "in the future" in summary.errors[0]["reason"]
    assert "in the future" in summary.errors[1]["reason"]
    assert "outside the years 1 to 9999" in summary.errors[2]["reason"]
    assert sorted(Event.objects.values_list("location_name", flat=True)) == [
        "clock ahead",
        "江西宜春市上高县",
    ]


def test_fdsn_text_import_rejects_a_future_event(jx):
    text = (
        "#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|ContributorID|"
        "MagType|Magnitude|MagAuthor|EventLocationName\n"
        "a1|2024-01-02T02:14:37|28.1|115.0|5|JX|JX|JX|a1|ML|2.4|JX|here\n"
        "a2|9999-01-02T02:14:37|28.1|115.0|5|JX|JX|JX|a2|ML|2.4|JX|never\n"
    )
    data = text.encode()
    summary = import_file(bureau=jx, fileobj=io.BytesIO(data), file_format="text", size=len(data))
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert summary.errors[0]["line"] == 3


def test_an_event_is_not_recorded_in_the_future(jx):
    solution = Solution(
        origin_time=now() + timedelta(days=1),
        latitude=28.0,
        longitude=115.0,
        depth_km=10.0,
        magnitude=3.0,
        magnitude_type="ML",
        location_name="tomorrow",
        source="JX",
    )
    with pytest.raises(InvalidInput) as refused:
        event_record_solution(bureau=jx, solution=solution, data_origin="manual", publish=True)
    assert refused.value.field == "origin_time"
    assert Event.objects.count() == 0


# --- FDSN -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("offset", "999999999999999999999"),
        ("offset", "2147483648"),
        ("offset", "9" * 5000),
        ("limit", "999999999999999999999"),
    ],
)
def test_fdsn_refuses_a_number_beyond_its_range_naming_it(client, param, value):
    response = client.get(Q, {param: value, "format": "text"})
    assert response.status_code == 400
    assert f"{param}: must be 2147483647 or less" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"starttime": "9999-12-31T23:59:59"},
        {"endtime": "0001-01-01"},
        {"updatedafter": "9999-12-31T23:59:59"},
        {"offset": "2147483647"},
    ],
)
def test_fdsn_answers_an_extreme_but_valid_query_with_no_data(client, jx, query):
    response = client.get(Q, {**query, "format": "text"})
    assert response.status_code == 204


@pytest.mark.parametrize("query", [{"starttime": "9999-12-31T23:59:59"}, {"endtime": "0001-01-01T00:00:00"}])
def test_event_list_api_answers_extreme_times_with_an_empty_list(api, query):
    response = api().get("/api/v1/events/", query)
    assert response.status_code == 200
    assert response.json()["results"] == []
