"""Briefs (简报) and discipline reports (学科报告): content, idempotence, the beat, tenancy,
the API, the PDF and the push."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.urls import reverse

from disciplines.models import Anomaly, ZeroReport
from portal.models import Notification, ReportView
from portal.timefmt import BEIJING
from tests.factories import (
    AnomalyFactory,
    EventFactory,
    MeetingFactory,
    ProductRunFactory,
    ReportingUnitFactory,
    UserFactory,
)
from trends.brief_tasks import briefs_due_task
from trends.models import Brief, BriefKind, BriefSettings
from trends.services import brief_push as push_services
from trends.services import briefs as brief_services
from trends.services.brief_compile import band_of

# the brief of 2026-11-30 at 08:00 Beijing time covers the 24 hours before it
END = dt.datetime(2026, 11, 30, 8, 0, tzinfo=BEIJING)
START = END - dt.timedelta(hours=24)
JX_BOX = (113.5, 24.5, 118.5, 30.1)  # tests/conftest.py jx


def _km_outside_box(lon: float, lat: float) -> float:
    """Great-circle distance from a point east of the JX box at its latitude (to the east edge)."""
    radius = 6371.0088
    lon0, lat0, lon1, lat1 = JX_BOX
    if lon0 <= lon <= lon1 and lat0 <= lat <= lat1:
        return 0.0
    phi = math.radians(lat)
    dlon = math.radians(lon - lon1)
    return radius * math.acos(min(1.0, math.sin(phi) ** 2 + math.cos(phi) ** 2 * math.cos(dlon)))


@pytest.fixture
def world(jx, nm, disciplines, jx_forecaster, jx_reporter, jx_expert):
    """Rows in and around JX's brief of 2026-11-30 08:00 (Beijing time)."""
    events = {
        "inside_big": EventFactory(
            bureau=jx, longitude=115.0, latitude=28.0, magnitude=4.2, origin_time=END - dt.timedelta(hours=2)
        ),
        "inside_small": EventFactory(
            bureau=jx, longitude=116.0, latitude=27.0, magnitude=2.5, origin_time=END - dt.timedelta(hours=5)
        ),
        "near": EventFactory(
            bureau=jx, longitude=118.9, latitude=28.0, magnitude=3.1, origin_time=END - dt.timedelta(hours=7)
        ),
        "far": EventFactory(
            bureau=jx, longitude=121.0, latitude=28.0, magnitude=5.0, origin_time=END - dt.timedelta(hours=3)
        ),
        "after": EventFactory(
            bureau=jx,
            longitude=115.0,
            latitude=28.0,
            magnitude=3.5,
            origin_time=END + dt.timedelta(minutes=1),
        ),
        "before": EventFactory(
            bureau=jx,
            longitude=115.0,
            latitude=28.0,
            magnitude=3.5,
            origin_time=START - dt.timedelta(minutes=1),
        ),
        # another bureau's unpublished event inside JX: not JX's to read
        "other_unpublished": EventFactory(
            bureau=nm,
            longitude=115.5,
            latitude=28.5,
            magnitude=3.8,
            is_published=False,
            origin_time=END - dt.timedelta(hours=1),
        ),
    }
    fluid = disciplines["fluid"]
    overdue = AnomalyFactory(
        bureau=jx,
        discipline=fluid,
        reported_by=jx_reporter,
        state=Anomaly.State.VERIFYING,
        assignee=jx_expert,
        verify_due_at=END - dt.timedelta(hours=3),
        station="九江台",
    )
    due_soon = AnomalyFactory(
        bureau=jx,
        discipline=fluid,
        reported_by=jx_reporter,
        state=Anomaly.State.VERIFYING,
        assignee=jx_expert,
        verify_due_at=END + dt.timedelta(hours=5),
        station="南昌井",
    )
    due_later = AnomalyFactory(
        bureau=jx,
        discipline=fluid,
        reported_by=jx_reporter,
        state=Anomaly.State.VERIFYING,
        assignee=jx_expert,
        verify_due_at=END + dt.timedelta(hours=30),
        station="赣州台",
    )
    new = AnomalyFactory(bureau=jx, discipline=fluid, reported_by=jx_reporter, station="宜春台")
    old = AnomalyFactory(bureau=jx, discipline=fluid, reported_by=jx_reporter, station="萍乡台")
    Anomaly.objects.filter(pk=new.pk).update(created_at=END - dt.timedelta(hours=4))
    Anomaly.objects.filter(pk=old.pk).update(created_at=START - dt.timedelta(hours=4))
    Anomaly.objects.filter(pk__in=[overdue.pk, due_soon.pk, due_later.pk]).update(
        created_at=START - dt.timedelta(days=10)
    )
    other_bureau_overdue = AnomalyFactory(
        bureau=nm,
        discipline=fluid,
        reported_by=UserFactory(),
        state=Anomaly.State.VERIFYING,
        assignee=UserFactory(),
        verify_due_at=END - dt.timedelta(hours=3),
    )
    # zero-reports: a day's report is due the next day at 10:00, so 11-28's (due 11-29 10:00)
    # falls within the period; 11-29's (due 11-30 10:00) is not due yet at 08:00
    reporting = ReportingUnitFactory(bureau=jx, code="JX-FL-01", discipline=fluid, reporters=[jx_reporter])
    silent = ReportingUnitFactory(bureau=jx, code="JX-FL-02", discipline=fluid)
    ZeroReport.objects.create(
        bureau=jx,
        unit=reporting,
        period=dt.date(2026, 11, 28),
        status=ZeroReport.Status.NONE,
        reported_by=jx_reporter,
        submitted_at=END - dt.timedelta(hours=20),
    )
    today = MeetingFactory(
        bureau=jx, title="周会商", starts_at=dt.datetime(2026, 11, 30, 14, 0, tzinfo=BEIJING)
    )
    MeetingFactory(bureau=jx, title="明日会商", starts_at=dt.datetime(2026, 12, 1, 9, 0, tzinfo=BEIJING))
    MeetingFactory(bureau=nm, title="内蒙古会商", starts_at=dt.datetime(2026, 11, 30, 10, 0, tzinfo=BEIJING))
    low_b = ProductRunFactory(
        bureau=jx,
        method="bvalue",
        params_hash="low",
        status="succeeded",
        result={"b": 0.65, "b_err": 0.05, "a": 4.0, "mc": 2.0, "n": 120},
        finished_at=END - dt.timedelta(hours=6),
    )
    normal_b = ProductRunFactory(
        bureau=jx,
        method="bvalue",
        params_hash="normal",
        status="succeeded",
        result={"b": 1.02, "b_err": 0.05, "a": 4.0, "mc": 2.0, "n": 120},
        finished_at=END - dt.timedelta(hours=6),
    )
    z = ProductRunFactory(
        bureau=jx,
        method="rate_change",
        status="succeeded",
        result={"features": [{"properties": {"z": 1.2}}, {"properties": {"z": -3.4}}]},
        finished_at=END - dt.timedelta(hours=1),
    )
    return {
        "events": events,
        "overdue": overdue,
        "due_soon": due_soon,
        "due_later": due_later,
        "new": new,
        "old": old,
        "other_overdue": other_bureau_overdue,
        "reporting": reporting,
        "silent": silent,
        "meeting": today,
        "low_b": low_b,
        "normal_b": normal_b,
        "z": z,
    }


def _expected_quakes(events):
    """Inside / near (≤ 100 km) / neither, from the rows' coordinates and times alone."""
    inside, near = [], []
    for event in events:
        if not (START <= event.origin_time < END) or (not event.is_published and event.bureau.code != "JX"):
            continue
        distance = _km_outside_box(event.longitude, event.latitude)
        if distance == 0.0:
            inside.append(event)
        elif distance <= 100.0:
            near.append(event)
    return inside, near


# --- content ------------------------------------------------------------------------------------


def test_daily_brief_holds_what_the_rows_say(world, jx):
    # given the rows of the fixture
    inside, near = _expected_quakes(world["events"].values())
    # when
    brief = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END)
    c = brief.content
    # then: quakes
    assert c["quakes"]["inside"]["count"] == len(inside) == 2
    assert c["quakes"]["near"]["count"] == len(near) == 1
    expected_bands = {}
    for event in inside:
        expected_bands[band_of(event.magnitude)] = expected_bands.get(band_of(event.magnitude), 0) + 1
    assert {k: v for k, v in c["quakes"]["inside"]["counts"].items() if v} == expected_bands
    assert {k: v for k, v in c["quakes"]["near"]["counts"].items() if v} == {"3.0–3.9": 1}
    listed = [q["id"] for q in c["quakes"]["list"]]
    assert listed == [e.pk for e in sorted(inside + near, key=lambda e: -e.magnitude)]
    near_row = next(q for q in c["quakes"]["list"] if q["id"] == world["events"]["near"].pk)
    assert near_row["inside"] is False
    assert near_row["distance_km"] == pytest.approx(_km_outside_box(118.9, 28.0), abs=1.5)
    # anomalies: new in the period; overdue at the brief's time
    assert [a["id"] for a in c["anomalies"]["new"]] == [world["new"].pk]
    assert [a["id"] for a in c["anomalies"]["overdue"]] == [world["overdue"].pk]
    # verifications due within 24 hours, or overdue
    assert [a["id"] for a in c["verifications_due"]] == [world["overdue"].pk, world["due_soon"].pk]
    assert [a["overdue"] for a in c["verifications_due"]] == [True, False]
    # zero-reports: 11-28's reports were due within the period; JX-FL-02 sent none
    zero = c["zero_reports"]
    assert zero["days"] == ["2026-11-28"]
    assert (zero["expected"], zero["reported"], zero["missing_count"]) == (2, 1, 1)
    assert [(u["code"], u["days"]) for u in zero["missing"]] == [("JX-FL-02", ["2026-11-28"])]
    assert sorted(u["code"] for u in zero["pending"]) == ["JX-FL-01", "JX-FL-02"]
    # products past a threshold (b ≤ 0.7, |Z| ≥ 2.5)
    crossed = {r["id"]: r["crossed"] for r in c["products"]["crossed"]}
    assert crossed == {
        world["low_b"].pk: {"quantity": "b", "value": 0.65, "rule": "le", "threshold": 0.7},
        world["z"].pk: {"quantity": "Z", "value": -3.4, "rule": "abs_ge", "threshold": 2.5},
    }
    # meetings starting today (Beijing), the bureau's own
    assert [m["id"] for m in c["meetings"]] == [world["meeting"].pk]
    assert c["thresholds"] == {"b_value_max": 0.7, "rate_z_min": 2.5, "near_km": 100.0}


def test_weekly_brief_covers_seven_days(world, jx):
    brief = brief_services.brief_compile(bureau=jx, kind="weekly", period_end=END)
    assert brief.period_start == END - dt.timedelta(days=7)
    # the anomaly reported 28 hours before is in the week, not in the day
    assert sorted(a["id"] for a in brief.content["anomalies"]["new"]) == sorted(
        [world["new"].pk, world["old"].pk]
    )


def test_discipline_report_lists_its_anomalies_and_completeness(world, jx, disciplines):
    Anomaly.objects.filter(pk=world["due_later"].pk).update(
        state=Anomaly.State.TRACKING, verified_at=END - dt.timedelta(days=2)
    )
    brief = brief_services.brief_compile(
        bureau=jx, kind="discipline", period_end=END, discipline=disciplines["fluid"]
    )
    c = brief.content
    assert c["discipline"]["code"] == "fluid"
    assert sorted(a["id"] for a in c["anomalies"]["new"]) == sorted([world["new"].pk, world["old"].pk])
    assert [a["id"] for a in c["anomalies"]["verified"]] == [world["due_later"].pk]
    assert [a["id"] for a in c["anomalies"]["tracking"]] == [world["due_later"].pk]
    assert c["anomalies"]["closed"] == []
    assert c["zero_reports"]["by_discipline"]["fluid"]["units"] == 2
    assert "quakes" not in c
    # the seismology report of the same week has none of the fluid anomalies
    seismology = brief_services.brief_compile(
        bureau=jx, kind="discipline", period_end=END, discipline=disciplines["seismology"]
    )
    assert seismology.content["anomalies"]["new"] == []
    assert sorted(r["id"] for r in seismology.content["products"]["runs"]) == sorted(
        [world["low_b"].pk, world["normal_b"].pk, world["z"].pk]
    )


def test_thresholds_come_from_the_bureau_settings(world, jx):
    BriefSettings.objects.create(bureau=jx, b_value_max=1.1, rate_z_min=5.0)
    brief = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END)
    assert sorted(r["id"] for r in brief.content["products"]["crossed"]) == sorted(
        [world["low_b"].pk, world["normal_b"].pk]
    )


# --- idempotence ----------------------------------------------------------------------------------


def test_compiling_again_returns_the_same_brief_and_refresh_updates_it(
    world, jx, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, created = brief_services.brief_compile_or_get(bureau=jx, kind="daily", period_end=END)
    assert created is True
    again, created_again = brief_services.brief_compile_or_get(bureau=jx, kind="daily", period_end=END)
    assert (again.pk, created_again) == (first.pk, False)
    EventFactory(
        bureau=jx, longitude=115.2, latitude=28.2, magnitude=2.1, origin_time=END - dt.timedelta(hours=1)
    )
    assert again.content["quakes"]["inside"]["count"] == 2
    refreshed = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END, refresh=True)
    assert refreshed.pk == first.pk
    assert refreshed.content["quakes"]["inside"]["count"] == 3
    assert Brief.objects.count() == 1


def test_a_discipline_report_needs_its_discipline(jx):
    with pytest.raises(ValueError, match="discipline"):
        brief_services.brief_compile(bureau=jx, kind="discipline", period_end=END)


# --- the beat -------------------------------------------------------------------------------------


def test_the_beat_compiles_each_due_brief_exactly_once(
    jx, nm, disciplines, jx_forecaster, django_capture_on_commit_callbacks
):
    BriefSettings.objects.create(bureau=nm, weekly=False)
    monday = dt.datetime(2026, 11, 30, tzinfo=BEIJING)  # a Monday
    assert monday.weekday() == 0
    # before 08:00 on Monday: Sunday's daily brief is the latest due (catching up), and last
    # Monday's weekly brief with its discipline reports
    with django_capture_on_commit_callbacks(execute=True):
        briefs_due_task(now=(monday + dt.timedelta(hours=7, minutes=50)).isoformat())
    jx_kinds = sorted(Brief.objects.filter(bureau=jx).values_list("kind", "period_end"))
    assert (BriefKind.DAILY.value, dt.datetime(2026, 11, 29, 8, 0, tzinfo=BEIJING)) in jx_kinds
    assert (
        Brief.objects.filter(
            bureau=jx, kind="weekly", period_end=dt.datetime(2026, 11, 23, 8, 0, tzinfo=BEIJING)
        ).count()
        == 1
    )
    assert Brief.objects.filter(bureau=jx, kind="discipline").count() == len(disciplines)
    assert not Brief.objects.filter(bureau=nm, kind__in=["weekly", "discipline"]).exists()
    Brief.objects.all().delete()
    Notification.objects.all().delete()
    # at 08:05 on Monday: today's daily brief, this week's weekly brief and discipline reports
    at = monday + dt.timedelta(hours=8, minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        briefs_due_task(now=at.isoformat())
    with django_capture_on_commit_callbacks(execute=True):
        briefs_due_task(now=(at + dt.timedelta(minutes=10)).isoformat())
    end = dt.datetime(2026, 11, 30, 8, 0, tzinfo=BEIJING)
    assert Brief.objects.filter(bureau=jx, kind="daily", period_end=end).count() == 1
    assert Brief.objects.filter(bureau=jx, kind="weekly", period_end=end).count() == 1
    assert Brief.objects.filter(bureau=jx, kind="discipline", period_end=end).count() == len(disciplines)
    assert Brief.objects.filter(bureau=nm).values_list("kind", flat=True).distinct().get() == "daily"
    assert Brief.objects.count() == 1 + 1 + len(disciplines) + 1
    # each was pushed once: the forecaster has one notification per JX brief
    assert Notification.objects.filter(recipient=jx_forecaster, kind__startswith="brief.").count() == 2 + len(
        disciplines
    )
    # nothing is due any more that day
    assert brief_services.briefs_due(now=at + dt.timedelta(hours=5)) == []


def test_the_daily_brief_time_is_the_bureaus(jx):
    BriefSettings.objects.create(bureau=jx, daily_at=dt.time(9, 30), weekly=False)
    due = brief_services.briefs_due(now=dt.datetime(2026, 12, 2, 9, 0, tzinfo=BEIJING))
    assert [(d.kind, d.period_end) for d in due] == [
        ("daily", dt.datetime(2026, 12, 1, 9, 30, tzinfo=BEIJING))
    ]
    due = brief_services.briefs_due(now=dt.datetime(2026, 12, 2, 9, 31, tzinfo=BEIJING))
    assert [(d.kind, d.period_end) for d in due] == [
        ("daily", dt.datetime(2026, 12, 2, 9, 30, tzinfo=BEIJING))
    ]


def test_the_beat_job_is_registered(db):
    from django_celery_beat.models import PeriodicTask

    from portal.celery import app

    task = PeriodicTask.objects.get(name="trends: briefs due")
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "trends.briefs_due",
        10,
        "minutes",
        True,
    )
    assert {"trends.briefs_due", "trends.brief_compile", "trends.brief_push", "trends.brief_wechat"} <= set(
        app.tasks
    )


# --- push -----------------------------------------------------------------------------------------


def test_push_tells_the_bureaus_people_once_and_posts_to_the_group_bot(
    jx,
    nm_admin,
    jx_forecaster,
    jx_chair,
    jx_approver,
    jx_admin,
    jx_viewer,
    jx_reporter,
    webhook,
    django_capture_on_commit_callbacks,
):
    from reports.models import TopicReportSettings

    receiver = webhook()
    TopicReportSettings.objects.create(bureau=jx, wechat_webhook_url=receiver.url)
    jx_forecaster.notify_by_email, jx_forecaster.email = True, "forecaster@example.org"
    jx_forecaster.save()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        brief = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END)
    # then: forecasters, chairs, approvers and admins of JX, not viewers, reporters or NM
    told = set(Notification.objects.filter(kind="brief.daily").values_list("recipient__username", flat=True))
    assert told == {"jx_forecaster", "jx_chair", "jx_approver", "jx_admin"}
    assert (
        Notification.objects.get(recipient=jx_forecaster, kind="brief.daily").url == brief.get_absolute_url()
    )
    assert jx_forecaster.notifications.get(kind="brief.daily").deliveries.get().channel == "email"
    brief.refresh_from_db()
    assert brief.pushed_at is not None
    assert receiver.event.wait(5)
    message = receiver.received[0]
    assert message["msgtype"] == "markdown"
    assert brief.title in message["markdown"]["content"]
    assert brief.get_absolute_url() in message["markdown"]["content"]
    # a second push tells nobody again
    assert push_services.brief_push(brief_id=brief.pk) is False
    assert Notification.objects.filter(kind="brief.daily").count() == 4


def test_a_failing_group_bot_raises_for_a_retry(jx, webhook):
    from reports.models import TopicReportSettings

    receiver = webhook(status=500)
    TopicReportSettings.objects.create(bureau=jx, wechat_webhook_url=receiver.url)
    brief = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END)
    with pytest.raises(RuntimeError, match="HTTP 500"):
        push_services.brief_wechat_send(brief_id=brief.pk)
    assert len(receiver.received) == 1


# --- pages, tenancy, PDF --------------------------------------------------------------------------


@pytest.fixture
def brief(world, jx):
    return brief_services.brief_compile(bureau=jx, kind="daily", period_end=END)


@pytest.mark.parametrize(
    "who", ["jx_forecaster", "jx_chair", "jx_approver", "jx_admin", "jx_viewer", "jx_reporter", "jx_expert"]
)
def test_pages_render_for_every_role(client, request, brief, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("trends:brief-list")).status_code == 200
    page = client.get(brief.get_absolute_url())
    assert page.status_code == 200
    assert "九江台" in page.content.decode()
    assert (
        ReportView.objects.filter(user=user, report_kind="brief", report_id=brief.pk, channel="web").count()
        == 1
    )


def test_the_list_filters_by_kind_and_date(client, world, jx, jx_forecaster, disciplines):
    daily = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END)
    weekly = brief_services.brief_compile(bureau=jx, kind="weekly", period_end=END)
    earlier = brief_services.brief_compile(bureau=jx, kind="daily", period_end=END - dt.timedelta(days=1))
    client.force_login(jx_forecaster)
    page = client.get(reverse("trends:brief-list"), {"kind": "daily", "start": "2026-11-30"})
    shown = [b.pk for b in page.context["page"]]
    assert shown == [daily.pk]
    page = client.get(reverse("trends:brief-list"))
    assert [b.pk for b in page.context["page"]] == [daily.pk, weekly.pk, earlier.pk]


def test_another_bureaus_brief_is_not_found(client, brief, nm_admin):
    client.force_login(nm_admin)
    assert client.get(brief.get_absolute_url()).status_code == 404
    assert client.get(reverse("trends:brief-pdf", args=[brief.pk])).status_code == 404


def test_the_pdf_is_rendered_by_a_worker_and_served(
    client, brief, jx_viewer, django_capture_on_commit_callbacks
):
    client.force_login(jx_viewer)
    url = reverse("trends:brief-pdf", args=[brief.pk])
    with django_capture_on_commit_callbacks(execute=True):
        pending = client.get(url)
    assert pending.status_code == 202
    ready = client.get(url)
    assert ready.status_code == 200
    assert b"".join(ready.streaming_content if ready.streaming else [ready.content]).startswith(b"%PDF")
    assert ReportView.objects.filter(user=jx_viewer, report_id=brief.pk, channel="pdf").count() == 1


def test_the_printed_brief_renders_in_both_languages(brief):
    from django.utils import translation

    from trends.brief_rendering import brief_html

    with translation.override("zh-hans"):
        assert "地震" in brief_html(brief)
    with translation.override("en"):
        html = brief_html(brief)
    assert "Earthquakes" in html
    assert "2026-11-30 08:00" in html


def test_compile_now_form(client, world, jx_forecaster, jx_viewer):
    client.force_login(jx_viewer)
    refused = client.post(reverse("trends:brief-compile"), {"kind": "daily", "date": "2026-11-30"})
    assert refused.status_code == 403
    client.force_login(jx_forecaster)
    answer = client.post(reverse("trends:brief-compile"), {"kind": "daily", "date": "2026-11-30"})
    brief = Brief.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == brief.get_absolute_url()
    assert brief.period_end == END


def test_settings_page_is_the_admins(client, jx, jx_admin, jx_forecaster):
    url = reverse("trends:brief-settings")
    client.force_login(jx_forecaster)
    assert client.get(url).status_code == 403
    client.force_login(jx_admin)
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "daily_at": "07:30",
            "weekly": "on",
            "discipline_reports": "",
            "b_value_max": "0.8",
            "rate_z_min": "3",
        },
    )
    assert answer.status_code == 302
    row = BriefSettings.objects.get(bureau=jx)
    assert (row.daily_at, row.weekly, row.discipline_reports, row.b_value_max, row.rate_z_min) == (
        dt.time(7, 30),
        True,
        False,
        0.8,
        3.0,
    )


# --- API ------------------------------------------------------------------------------------------


def test_api_reads_a_brief(api, brief, jx_viewer, nm_admin):
    answer = api(jx_viewer).get(f"/api/v1/briefs/{brief.pk}/")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "id",
        "bureau",
        "kind",
        "discipline",
        "period_start",
        "period_end",
        "title",
        "content",
        "url",
        "pdf_url",
    }
    assert (body["bureau"], body["kind"], body["discipline"]) == ("JX", "daily", None)
    assert body["pdf_url"] == reverse("trends:brief-pdf", args=[brief.pk])
    assert api(nm_admin).get(f"/api/v1/briefs/{brief.pk}/").status_code == 404
    listed = api(jx_viewer).get("/api/v1/briefs/", {"kind": "daily", "date": "2026-11-30"}).json()
    assert [row["id"] for row in listed["results"]] == [brief.pk]
    assert api(jx_viewer).get("/api/v1/briefs/", {"date": "2026-11-29"}).json()["results"] == []
    assert api(nm_admin).get("/api/v1/briefs/").json()["results"] == []


def test_api_compiles_on_demand(api, world, jx_forecaster):
    client = api(jx_forecaster)
    created = client.post(
        "/api/v1/briefs/", {"bureau": "JX", "kind": "daily", "date": "2026-11-30"}, format="json"
    )
    assert created.status_code == 201
    again = client.post(
        "/api/v1/briefs/", {"bureau": "JX", "kind": "daily", "date": "2026-11-30"}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
    report = client.post(
        "/api/v1/briefs/",
        {"bureau": "JX", "kind": "discipline", "date": "2026-11-30", "discipline": "fluid"},
        format="json",
    )
    assert report.status_code == 201
    assert report.json()["discipline"] == "fluid"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"bureau": "JX", "kind": "daily", "date": "9999-12-31"}, "date"),
        ({"bureau": "JX", "kind": "monthly", "date": "2026-11-30"}, "kind"),
        ({"bureau": "JX", "kind": "discipline", "date": "2026-11-30"}, "discipline"),
        (
            {"bureau": "JX", "kind": "discipline", "date": "2026-11-30", "discipline": "astrology"},
            "discipline",
        ),
        ({"bureau": "JX", "kind": "daily", "date": "2026-11-31"}, "date"),
    ],
)
def test_api_refuses_bad_input(api, jx_forecaster, payload, field):
    answer = api(jx_forecaster).post("/api/v1/briefs/", payload, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert Brief.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("jx_viewer", 403), ("jx_reporter", 403), ("jx_admin", 201), ("jx_chair", 201), ("nm_admin", 404)],
)
def test_api_compile_authorization(api, request, jx, who, status):
    answer = api(request.getfixturevalue(who)).post(
        "/api/v1/briefs/", {"bureau": "JX", "kind": "daily", "date": "2026-11-30"}, format="json"
    )
    assert answer.status_code == status
    assert Brief.objects.count() == (1 if status == 201 else 0)


# --- report list --------------------------------------------------------------------------------


def test_briefs_are_in_the_report_index(brief, jx_viewer, nm_admin, disciplines, jx):
    from portal.report_index import ReportFilter, kinds
    from portal.tenancy import actor_for

    report = brief_services.brief_compile(
        bureau=jx, kind="discipline", period_end=END, discipline=disciplines["fluid"]
    )
    registered = {k.key: k for k in kinds()}
    viewer = actor_for(jx_viewer)
    rows = list(registered["brief"].rows(viewer, ReportFilter()))
    assert [r.id for r in rows] == [brief.pk]
    assert [r.id for r in registered["discipline_report"].rows(viewer, ReportFilter())] == [report.pk]
    assert [r.id for r in registered["brief"].rows(viewer, ReportFilter(month=dt.date(2026, 11, 1)))] == [
        brief.pk
    ]
    assert list(registered["brief"].rows(viewer, ReportFilter(month=dt.date(2026, 10, 1)))) == []
    assert [r.id for r in registered["brief"].rows(viewer, ReportFilter(month_of_year=11))] == [brief.pk]
    assert list(registered["brief"].rows(viewer, ReportFilter(q="不在标题里"))) == []
    assert list(registered["brief"].rows(actor_for(nm_admin), ReportFilter())) == []
    assert set(registered["brief"].lookup(viewer, [brief.pk, report.pk])) == {brief.pk}
    assert "学科报告" in registered["discipline_report"].words


def test_a_brief_failing_to_compile_is_retried_then_told(jx, jx_admin, jx_viewer, monkeypatch):
    from celery.exceptions import Retry

    from trends.brief_tasks import brief_compile_task

    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise RuntimeError("catalog unreachable")

    monkeypatch.setattr(brief_services, "brief_compile_due", broken)
    kwargs = {"bureau_id": jx.pk, "kind": "daily", "period_end": END.isoformat(), "discipline": None}
    # a try with retries left is retried, and nobody is told yet
    with pytest.raises(Retry):
        brief_compile_task.apply(kwargs=kwargs, throw=True)
    assert not Notification.objects.filter(kind="brief.failed").exists()
    # the last try tells the bureau's admins (and forecasters, chairs) and fails visibly
    result = brief_compile_task.apply(kwargs=kwargs, retries=3, throw=False)
    assert result.failed()
    assert len(calls) == 2
    told = Notification.objects.filter(kind="brief.failed")
    assert set(told.values_list("recipient__username", flat=True)) == {"jx_admin"}
    assert "catalog unreachable" in told.get().body
    assert Brief.objects.count() == 0


@pytest.mark.parametrize("kind", ["weekly", "discipline"])
def test_weekly_briefs_and_discipline_reports_render(client, world, jx, jx_expert, disciplines, kind):
    discipline = disciplines["fluid"] if kind == "discipline" else None
    brief = brief_services.brief_compile(bureau=jx, kind=kind, period_end=END, discipline=discipline)
    client.force_login(jx_expert)
    page = client.get(brief.get_absolute_url())
    assert page.status_code == 200
    assert "宜春台" in page.content.decode()
    expected_kind = "discipline_report" if kind == "discipline" else "brief"
    assert ReportView.objects.filter(report_kind=expected_kind, report_id=brief.pk).count() == 1
