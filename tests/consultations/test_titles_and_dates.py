"""Titles of meetings, materials and reports are real text; meeting dates lie near today.

The rule is ``portal.validators.clean_title``; the window is
``consultations.services.MEETING_WINDOW_BEFORE`` / ``_AFTER`` (one year back, two ahead).
A refused request changes nothing that is stored.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from consultations.models import ConsultationReport, Meeting, MeetingMaterial
from consultations.services import meetings as meeting_services
from consultations.services import report_workflow as report_services

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consultations"

BAD_TITLES = [
    pytest.param("0", id="digit-only"),
    pytest.param("---", id="signs-only"),
    pytest.param("2026", id="year-only"),
    pytest.param("   ", id="blank"),
    pytest.param("月会商\x1b[31m", id="escape"),
    pytest.param("月\n会商", id="newline"),
    pytest.param("会商\u202etxt.exe", id="bidi-override"),
    pytest.param("会\u200b商", id="zero-width-space"),
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _meeting_body(**extra):
    return {
        "kind": "weekly",
        "title": "第49周周会商",
        "starts_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        **extra,
    }


# --- meeting titles -------------------------------------------------------------------


@pytest.mark.parametrize("title", BAD_TITLES)
def test_api_refuses_a_meeting_without_a_real_title(api, jx_chair, title):
    # when
    response = api(jx_chair).post(f"{BASE}/meetings/", _meeting_body(title=title), format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]
    assert Meeting.objects.count() == 0


@pytest.mark.parametrize("title", ["第49周周会商", "M5.0 宜春 震后趋势会商", "Weekly 49", "ᠮᠣᠩᠭᠣᠯ 2026"])
def test_api_accepts_titles_in_any_script_with_digits(api, jx_chair, title):
    response = api(jx_chair).post(f"{BASE}/meetings/", _meeting_body(title=f"  {title} "), format="json")
    assert response.status_code == 201, response.json()
    assert Meeting.objects.get().title == title


@pytest.mark.parametrize("title", BAD_TITLES)
def test_api_patch_with_a_bad_title_keeps_the_old_one(api, jx_meeting, jx_chair, title):
    # given
    before = Meeting.objects.values().get(pk=jx_meeting.pk)
    # when
    response = api(jx_chair).patch(f"{BASE}/meetings/{jx_meeting.pk}/", {"title": title}, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]
    assert Meeting.objects.values().get(pk=jx_meeting.pk) == before


def test_page_shows_the_title_error_beside_the_field_and_stores_nothing(jx_chair):
    response = _client(jx_chair).post(
        "/consultations/meetings/new/",
        {
            "kind": "monthly",
            "title": "0",
            "starts_at": (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "chair": jx_chair.pk,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["title"] == [
        "标题需要文字：至少一个字母或汉字，不能只有数字或符号。"
    ]
    assert Meeting.objects.count() == 0


def test_page_edit_with_a_control_character_keeps_the_meeting(jx_meeting, jx_chair):
    before = Meeting.objects.values().get(pk=jx_meeting.pk)
    response = _client(jx_chair).post(
        f"/consultations/meetings/{jx_meeting.pk}/edit/",
        {
            "title": "月会商\x07",
            "starts_at": timezone.localtime(jx_meeting.starts_at).strftime("%Y-%m-%dT%H:%M"),
            "chair": jx_chair.pk,
        },
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["title"]
    assert Meeting.objects.values().get(pk=jx_meeting.pk) == before


def test_english_message_for_a_digit_only_title(api, jx_chair):
    response = api(jx_chair).post(
        f"{BASE}/meetings/", _meeting_body(title="0"), format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["title"] == [
        "A title needs words: at least one letter or character, not only digits or signs."
    ]


# --- meeting dates --------------------------------------------------------------------


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T09:00:00+08:00",
        "0001-01-02T09:00:00+08:00",
        pytest.param("far-future", id="three-years-ahead"),
        pytest.param("far-past", id="two-years-back"),
    ],
)
def test_api_refuses_a_meeting_far_from_today(api, jx_chair, starts_at):
    # given
    shift = {"far-future": dt.timedelta(days=3 * 366), "far-past": -dt.timedelta(days=2 * 366)}
    if starts_at in shift:
        starts_at = (timezone.now() + shift[starts_at]).isoformat()
    # when
    response = api(jx_chair).post(f"{BASE}/meetings/", _meeting_body(starts_at=starts_at), format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["starts_at"]
    earliest = timezone.localdate() - meeting_services.MEETING_WINDOW_BEFORE
    assert earliest.isoformat() in response.json()["detail"]  # the message names the window
    assert Meeting.objects.count() == 0


def test_api_refuses_an_end_years_after_the_start(api, jx_chair):
    body = _meeting_body(ends_at="9999-12-31T12:00:00+08:00")
    response = api(jx_chair).post(f"{BASE}/meetings/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ends_at"]
    assert Meeting.objects.count() == 0


def test_api_accepts_the_edges_of_the_window(api, jx_chair):
    today = timezone.localdate()
    for day in (
        today - meeting_services.MEETING_WINDOW_BEFORE,
        today + meeting_services.MEETING_WINDOW_AFTER,
    ):
        starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
        response = api(jx_chair).post(
            f"{BASE}/meetings/", _meeting_body(starts_at=starts_at.isoformat()), format="json"
        )
        assert response.status_code == 201, response.json()


def test_api_patch_moving_a_meeting_to_9999_keeps_its_date(api, jx_meeting, jx_chair):
    before = Meeting.objects.values().get(pk=jx_meeting.pk)
    response = api(jx_chair).patch(
        f"{BASE}/meetings/{jx_meeting.pk}/", {"starts_at": "9999-01-01T09:00:00+08:00"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["starts_at"]
    assert Meeting.objects.values().get(pk=jx_meeting.pk) == before


def test_an_old_meeting_keeps_its_date_when_only_its_agenda_changes(api, jx_meeting, jx_chair):
    # given: a meeting recorded two years ago (before the window existed)
    long_ago = timezone.now() - dt.timedelta(days=800)
    Meeting.objects.filter(pk=jx_meeting.pk).update(starts_at=long_ago)
    # when: its agenda is edited, the unchanged start time sent back as the page does
    response = api(jx_chair).patch(
        f"{BASE}/meetings/{jx_meeting.pk}/",
        {"agenda": "补记", "starts_at": long_ago.replace(second=0, microsecond=0).isoformat()},
        format="json",
    )
    # then
    assert response.status_code == 200, response.json()
    assert Meeting.objects.get(pk=jx_meeting.pk).agenda == "补记"


def test_page_refuses_a_meeting_in_year_9999(jx_chair):
    response = _client(jx_chair).post(
        "/consultations/meetings/new/",
        {"kind": "monthly", "title": "月会商", "starts_at": "9999-12-31T09:00", "chair": jx_chair.pk},
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["starts_at"]
    assert Meeting.objects.count() == 0


# --- material and report titles -------------------------------------------------------


@pytest.mark.parametrize("title", BAD_TITLES)
def test_api_refuses_material_without_a_real_title(api, jx_meeting, jx_chair, title):
    response = api(jx_chair).post(
        f"{BASE}/meetings/{jx_meeting.pk}/materials/",
        {"kind": "event", "title": title, "object_id": "JX.1"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]
    assert MeetingMaterial.objects.count() == 0


@pytest.mark.parametrize("title", ["0", "会商\x7f"])
def test_api_refuses_a_report_titled_without_text(api, closed_meeting, jx_chair, title):
    response = api(jx_chair).post(
        f"{BASE}/meetings/{closed_meeting.pk}/reports/", {"title": title}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]
    assert ConsultationReport.objects.count() == 0


def test_api_report_without_a_title_is_named_after_its_meeting(api, closed_meeting, jx_chair):
    response = api(jx_chair).post(f"{BASE}/meetings/{closed_meeting.pk}/reports/", {}, format="json")
    assert response.status_code == 201
    assert ConsultationReport.objects.get().title.endswith(closed_meeting.title)


@pytest.mark.parametrize("title", ["---", "标题\u2028第二行"])
def test_api_retitling_a_report_with_no_text_keeps_the_title(api, closed_meeting, jx_chair, as_actor, title):
    # given
    report = report_services.report_create(
        actor=as_actor(jx_chair), meeting=closed_meeting, title="十二月会商意见"
    )
    # when
    response = api(jx_chair).patch(f"{BASE}/reports/{report.pk}/", {"title": title}, format="json")
    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["title"]
    assert ConsultationReport.objects.get(pk=report.pk).title == "十二月会商意见"


# --- forecast windows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("9999-12-01", "9999-12-31", "window_start"), ("1899-12-01", "1899-12-31", "window_start")],
)
def test_api_refuses_a_forecast_window_outside_the_work_years(api, jx_meeting, jx_chair, start, end, field):
    from consultations.models import Forecast

    from .conftest import JX_SQUARE

    response = api(jx_chair).post(
        f"{BASE}/meetings/{jx_meeting.pk}/forecasts/",
        {
            "window_start": start,
            "window_end": end,
            "region": JX_SQUARE,
            "min_magnitude": "4.5",
            "likelihood": "high",
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Forecast.objects.count() == 0
