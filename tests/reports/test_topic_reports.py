"""Special-topic reports, eager Celery: who gets one, what it says, versions, push, visibility."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from catalog.arrival import alert_rule_save
from catalog.services.events import Solution, event_record_solution
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification
from printing.geodesy import destination
from reports.models import PushAttempt, TopicReport, TopicReportSettings
from reports.selectors import reports_for_event
from reports.services import push_channels as push_channel_services
from reports.services import pushes as push_services
from reports.services import topic_reports as topic_report_services
from reports.services import topic_settings as topic_settings_services
from tests.factories import EventFactory, TopicReportFactory

from .conftest import SHANGGAO

pytestmark = pytest.mark.django_db


def record(
    bureau,
    *,
    magnitude=4.1,
    lon=SHANGGAO[0],
    lat=SHANGGAO[1],
    kind="formal",
    minutes_ago=3,
    when=None,
    publish=True,
    source="quick_report",
    name="江西宜春市上高县",
):
    solution = Solution(
        origin_time=when or timezone.now() - dt.timedelta(minutes=minutes_ago),
        latitude=lat,
        longitude=lon,
        depth_km=5.0,
        magnitude=magnitude,
        location_name=name,
        source="江西省地震台网",
        status="automatic" if kind == "automatic" else "reviewed",
        report_kind=kind,
    )
    event, _created, _changed = event_record_solution(
        bureau=bureau, solution=solution, data_origin=source, publish=publish, hook_source=source
    )
    return event


@pytest.fixture
def arrive(django_capture_on_commit_callbacks):
    """Record a solution and run the arrival and the (eager) tasks queued on commit."""

    def run(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            event = record(*args, **kwargs)
        return event

    return run


@pytest.fixture
def history(jx):
    """Published historical events around Shanggao, one of them M5.2 in 1990."""
    rows = []
    for i, (bearing, km, mag, year) in enumerate(
        [
            (10, 30, 4.3, 1975),
            (120, 80, 5.2, 1990),
            (250, 150, 4.6, 2005),
            (300, 190, 3.5, 2010),
            (60, 260, 6.0, 1980),
        ]
    ):
        lon, lat = destination(SHANGGAO[0], SHANGGAO[1], bearing, km)
        rows.append(
            EventFactory(
                bureau=jx,
                public_id=f"hist{i}",
                origin_time=dt.datetime(year, 5, 1, tzinfo=dt.UTC),
                latitude=lat,
                longitude=lon,
                magnitude=mag,
                location_name=f"历史{i}",
                report_kind="catalog",
            )
        )
    return rows


def pdf_text(report) -> str:
    out = subprocess.run(["pdftotext", report.pdf.path, "-"], capture_output=True, text=True, check=True)
    return out.stdout


def test_quake_in_jx_builds_a_ready_report_with_its_content(arrive, jx, jx_forecaster, jx_towns, history):
    # when
    event = arrive(jx)
    # then
    [report] = TopicReport.objects.all()
    assert (report.bureau, report.event, report.status, report.event_version) == (jx, event, "ready", 1)
    assert report.ready_at >= report.received_at
    assert set(report.timings) >= {"queries", "maps", "pdf", "total"}
    c = report.context
    assert c["event"]["origin_time_utc"] == f"{event.origin_time.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"
    bj = event.origin_time.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert c["event"]["origin_time_bj"] == f"{bj:%Y-%m-%d %H:%M:%S}"
    assert c["towns"]["count"] > 20
    assert c["towns"]["rows"][0]["distance_km"] <= c["towns"]["rows"][1]["distance_km"]
    # history: M>=4 since 1970 within 200 km -> 1975 M4.3, 1990 M5.2, 2005 M4.6 (not M3.5, not 260 km)
    assert [r["magnitude"] for r in c["history"]["rows"]] == [4.6, 5.2, 4.3]
    assert c["history"]["largest_in_period"]["magnitude"] == 5.2
    assert c["history"]["bands"] == {"4-5": 2, "5-6": 1}
    assert c["weather"] == {"configured": False}
    text = pdf_text(report)
    assert "江西宜春市上高县" in text
    assert "M4.1" in text
    assert "敖阳镇" in text
    assert "门户没有配置天气服务" in text.replace("\n", "")
    assert report.pdf.name.startswith(f"reports/{jx.pk}/")


def test_quake_below_the_threshold_or_outside_gets_none(arrive, jx, nm, jx_towns):
    arrive(jx, magnitude=2.9)
    arrive(jx, magnitude=4.0, lon=100.0, lat=25.0, name="云南")  # inside no bureau of the test
    assert not TopicReport.objects.exists()


def test_threshold_and_distance_are_per_bureau(arrive, as_actor, jx, nm, jx_admin, nm_admin):
    # the bureau's alert rule decides (catalog.arrival)
    alert_rule_save(actor=as_actor(jx_admin), threshold_magnitude=Decimal("2.5"))
    arrive(jx, magnitude=2.6)
    assert list(TopicReport.objects.values_list("bureau__code", flat=True)) == ["JX"]
    # 30 km east of JX's box edge (118.5E): only a bureau that looks 50 km beyond its border gets it
    lon, lat = destination(118.5, 27.0, 90, 30)
    alert_rule_save(actor=as_actor(nm_admin), distance_km=50)
    arrive(jx, magnitude=4.5, lon=lon, lat=lat, name="浙江")
    assert TopicReport.objects.filter(event__location_name="浙江").count() == 0
    alert_rule_save(actor=as_actor(jx_admin), distance_km=50)
    arrive(jx, magnitude=4.6, lon=lon, lat=lat, name="浙江")
    assert list(
        TopicReport.objects.filter(event__location_name="浙江").values_list("bureau__code", flat=True)
    ) == ["JX"]


def test_old_events_and_a_disabled_bureau_get_none(arrive, as_actor, jx, jx_admin):
    arrive(jx, when=timezone.now() - dt.timedelta(days=30))
    assert not TopicReport.objects.exists()
    # a fresh quake imported from a feed is an arrival like any other and gets its report
    arrive(jx, magnitude=4.4, source="import", lon=115.3, lat=28.3)
    assert list(TopicReport.objects.values_list("trigger", flat=True)) == ["import"]
    alert_rule_save(actor=as_actor(jx_admin), topic_report=False)
    arrive(jx, magnitude=5.0, lon=115.5, lat=28.5)
    assert TopicReport.objects.count() == 1


def test_national_unit_gets_reports_only_when_it_opts_in(arrive, as_actor, jx, cenc, make_person):
    arrive(jx)
    assert list(TopicReport.objects.values_list("bureau__code", flat=True)) == ["JX"]
    cenc_admin = make_person("cenc_admin", (cenc, "bureau_admin"))
    alert_rule_save(actor=as_actor(cenc_admin), threshold_magnitude=Decimal("5.0"))
    arrive(jx, magnitude=5.5, lon=115.6, lat=28.6)
    assert sorted(
        TopicReport.objects.filter(event__magnitude=5.5).values_list("bureau__code", flat=True)
    ) == ["CENC", "JX"]


def test_formal_after_automatic_rebuilds_and_keeps_both(arrive, jx, jx_forecaster, as_actor):
    automatic = arrive(jx, magnitude=4.3, kind="automatic", publish=False)
    formal = arrive(jx, magnitude=4.1, kind="formal", lon=SHANGGAO[0] + 0.01)
    assert formal.pk == automatic.pk
    reports = list(reports_for_event(actor=as_actor(jx_forecaster), event=formal))
    assert [(r.event_version, r.report_kind, r.status) for r in reports] == [
        (2, "formal", "ready"),
        (1, "automatic", "ready"),
    ]
    assert reports[1].context["event"]["magnitude"] == 4.3
    assert reports[0].context["event"]["magnitude"] == 4.1
    assert reports[0].pdf.name != reports[1].pdf.name


def test_same_arrival_twice_builds_once(arrive, jx, django_capture_on_commit_callbacks):
    event = arrive(jx)
    with django_capture_on_commit_callbacks(execute=True):
        assert topic_report_services.topic_report_for_event(event_id=event.pk, bureau_id=jx.pk) is None
    assert TopicReport.objects.count() == 1


def test_ready_report_is_pushed_in_app_by_email_and_wechat(
    arrive, as_actor, jx, jx_admin, jx_forecaster, webhook, django_capture_on_commit_callbacks
):
    receiver = webhook()
    topic_settings_services.topic_report_settings_update(
        actor=as_actor(jx_admin),
        email_recipients="duty@jx.example.cn, chief@jx.example.cn",
        wechat_webhook_url=receiver.url,
    )
    fired = []
    from portal import hooks

    hooks.hook("topic_report.ready")(lambda **kw: fired.append(kw))
    try:
        event = arrive(jx)
    finally:
        hooks._HOOKS["topic_report.ready"].pop()
    report = TopicReport.objects.get()
    link = f"http://127.0.0.1:8000/reports/topic/{report.pk}/"
    assert fired == [{"report_id": report.pk, "event_id": event.pk, "bureau_id": jx.pk}]
    pushes = {p.channel: (p.status, p.attempts) for p in PushAttempt.objects.all()}
    assert pushes == {"websocket": ("sent", 1), "email": ("sent", 1), "wechat": ("sent", 1)}
    # in-app: every JX member has an urgent notification with the link
    urgent = Notification.objects.filter(kind="topic_report.ready", level="urgent")
    assert sorted(urgent.values_list("recipient__username", flat=True)) == ["jx_admin", "jx_forecaster"]
    assert urgent.first().url == report.get_absolute_url()
    # e-mail with the link and the PDF attached
    [message] = mail.outbox
    assert message.to == ["duty@jx.example.cn", "chief@jx.example.cn"]
    assert link in message.body
    assert message.attachments[0][2] == "application/pdf"
    # WeChat Work group bot: markdown with the link
    [payload] = receiver.received
    assert payload["msgtype"] == "markdown"
    assert link in payload["markdown"]["content"]
    assert "江西宜春市上高县" in payload["markdown"]["content"]
    # the key of the webhook never shows
    assert "secret-key" not in PushAttempt.objects.get(channel="wechat").target


def test_failing_webhook_is_retried_then_failed_and_shown(
    arrive, as_actor, client, jx, jx_admin, jx_forecaster, webhook
):
    receiver = webhook(status=500)
    topic_settings_services.topic_report_settings_update(
        actor=as_actor(jx_admin), wechat_webhook_url=receiver.url, push_max_attempts=3
    )
    arrive(jx)
    attempt = PushAttempt.objects.get(channel="wechat")
    assert (attempt.status, attempt.attempts) == ("failed", 3)
    assert "HTTP 500" in attempt.last_error
    assert len(receiver.received) == 3
    moves = list(
        AuditEvent.objects.filter(action__startswith="push.", target_id=str(attempt.pk))
        .order_by("id")
        .values_list("action", "from_state", "to_state")
    )
    assert moves == [
        ("push.error", "pending", "retrying"),
        ("push.error", "retrying", "retrying"),
        ("push.fail", "retrying", "failed"),
    ]
    assert Notification.objects.filter(kind="topic_report.push_failed", recipient=jx_forecaster).exists()
    client.force_login(jx_forecaster)
    page = client.get(attempt.report.get_absolute_url()).content.decode()
    assert 'data-push-status="failed"' in page
    assert "HTTP 500" in page
    dashboard = client.get(reverse("home")).content.decode()
    assert 'data-panel="topic_reports"' in dashboard
    assert "HTTP 500" in dashboard


def test_retry_of_a_failed_push_by_a_person(
    arrive, as_actor, jx, jx_admin, jx_viewer, jx_forecaster, webhook, django_capture_on_commit_callbacks
):
    receiver = webhook(status=500)
    topic_settings_services.topic_report_settings_update(
        actor=as_actor(jx_admin), wechat_webhook_url=receiver.url, push_max_attempts=1
    )
    arrive(jx)
    attempt = PushAttempt.objects.get(channel="wechat")
    assert attempt.status == "failed"
    with pytest.raises(PermissionDenied):
        push_services.push_retry(actor=as_actor(jx_viewer), attempt=attempt)
    attempt.refresh_from_db()
    assert attempt.status == "failed"
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        push_services.push_retry(actor=as_actor(jx_forecaster), attempt=attempt)
    attempt.refresh_from_db()
    assert (attempt.status, attempt.attempts) == ("sent", 2)


def test_failed_build_is_recorded_and_can_be_requeued(
    arrive, as_actor, jx, jx_viewer, jx_forecaster, monkeypatch, django_capture_on_commit_callbacks
):
    def boom(**kwargs):
        raise RuntimeError("map server down")

    monkeypatch.setattr("reports.topic.draw_maps", lambda content: boom())
    arrive(jx)
    report = TopicReport.objects.get()
    assert report.status == "failed"
    assert report.error == "RuntimeError: map server down"
    assert Notification.objects.filter(kind="topic_report.failed", recipient=jx_forecaster).exists()
    with pytest.raises(PermissionDenied):
        topic_report_services.topic_report_requeue(actor=as_actor(jx_viewer), report=report)
    report.refresh_from_db()
    assert report.status == "failed"
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        topic_report_services.topic_report_requeue(actor=as_actor(jx_forecaster), report=report)
    report.refresh_from_db()
    assert report.status == "ready"


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("queued", "building", True),
        ("queued", "ready", False),
        ("queued", "failed", True),
        ("building", "ready", True),
        ("building", "failed", True),
        ("building", "queued", False),
        ("ready", "queued", False),
        ("ready", "failed", False),
        ("ready", "building", False),
        ("failed", "queued", True),
        ("failed", "ready", False),
        ("failed", "building", False),
    ],
)
def test_transition_matrix(jx, start, target, allowed, as_actor, jx_forecaster):
    event = record(jx, magnitude=2.0)
    report = TopicReportFactory(event=event, status=start)
    moves = {
        "building": lambda: topic_report_services.topic_report_start(report=report),
        "ready": lambda: topic_report_services.topic_report_finish(
            report=report, content={}, pdf=b"%PDF", maps={}, timings={}
        ),
        "failed": lambda: topic_report_services.topic_report_fail(report=report, error="x"),
        "queued": lambda: topic_report_services.topic_report_requeue(
            actor=as_actor(jx_forecaster), report=report
        ),
    }
    audits = AuditEvent.objects.count()
    if allowed:
        moves[target]()
        report.refresh_from_db()
        assert report.status == target
        assert AuditEvent.objects.filter(target_id=str(report.pk), to_state=target).exists()
    else:
        with pytest.raises(InvalidTransition):
            moves[target]()
        report.refresh_from_db()
        assert report.status == start
        assert AuditEvent.objects.count() == audits


# --- visibility ------------------------------------------------------------------------------


@pytest.fixture
def jx_report(arrive, jx, jx_forecaster, jx_towns):
    arrive(jx)
    return TopicReport.objects.get()


def _urls(report):
    return [
        reverse("reports:topic-detail", args=[report.pk]),
        reverse("reports:topic-html", args=[report.pk]),
        reverse("reports:topic-pdf", args=[report.pk]),
        reverse("reports:topic-map", args=[report.pk, "epicentre"]),
    ]


def test_other_province_sees_nothing_of_jx_reports(client, api, jx_report, nm_forecaster, nm_admin):
    for user in (nm_forecaster, nm_admin):
        client.force_login(user)
        for url in _urls(jx_report):
            assert client.get(url).status_code == 404, url
        assert client.post(reverse("reports:topic-requeue", args=[jx_report.pk])).status_code == 404
        push = jx_report.pushes.first()
        assert client.post(reverse("reports:push-retry", args=[push.pk])).status_code == 404
        assert "上高县" not in client.get(reverse("reports:topic-list")).content.decode()
        assert api(user).get("/api/v1/topic-reports/").json()["results"] == []
        assert api(user).get(f"/api/v1/topic-reports/{jx_report.pk}/").status_code == 404


def test_own_bureau_reads_every_page(client, api, jx_report, jx_viewer):
    client.force_login(jx_viewer)
    for url in _urls(jx_report):
        assert client.get(url).status_code == 200, url
    page = client.get(_urls(jx_report)[0]).content.decode()
    assert 'id="topic-map"' in page
    assert "敖阳镇" in page
    assert client.get(_urls(jx_report)[2])["Content-Type"] == "application/pdf"
    body = api(jx_viewer).get(f"/api/v1/topic-reports/{jx_report.pk}/").json()
    assert body["status"] == "ready"
    assert body["content"]["event"]["location_name"] == "江西宜春市上高县"


def test_cenc_reads_ready_reports_but_not_unfinished_ones(client, api, jx_report, cenc_forecaster, jx):
    client.force_login(cenc_forecaster)
    for url in _urls(jx_report):
        assert client.get(url).status_code == 200, url
    assert [r["id"] for r in api(cenc_forecaster).get("/api/v1/topic-reports/").json()["results"]] == [
        jx_report.pk
    ]
    queued = TopicReportFactory(event=jx_report.event, event_version=9, status="queued")
    assert client.get(reverse("reports:topic-detail", args=[queued.pk])).status_code == 404
    assert api(cenc_forecaster).get(f"/api/v1/topic-reports/{queued.pk}/").status_code == 404
    # CENC may read but not act on another bureau's report
    failed = TopicReportFactory(event=jx_report.event, event_version=10, status="failed")
    assert client.post(reverse("reports:topic-requeue", args=[failed.pk])).status_code == 404


def test_settings_page_is_for_bureau_admins_of_their_own_bureau(
    client, jx, jx_admin, jx_forecaster, nm_admin
):
    client.force_login(jx_forecaster)
    assert client.get(reverse("reports:topic-settings")).status_code == 403
    client.force_login(nm_admin)
    response = client.post(
        reverse("reports:topic-settings"),
        {
            "history_radius_km": "150",
            "history_min_magnitude": "4",
            "history_since": "1970-01-01",
            "town_radius_km": "50",
            "layer_radius_km": "50",
            "email_recipients": "",
            "wechat_webhook_url": "",
            "push_max_attempts": "4",
            "push_retry_seconds": "30",
        },
    )
    assert response.status_code == 302
    assert list(TopicReportSettings.objects.values_list("bureau__code", "history_radius_km")) == [
        ("NM", 150.0)
    ]
    client.force_login(jx_admin)
    bad = client.post(
        reverse("reports:topic-settings"),
        {
            "history_radius_km": "900",
            "history_min_magnitude": "4",
            "history_since": "1970-01-01",
            "town_radius_km": "50",
            "layer_radius_km": "50",
            "email_recipients": "not-an-address",
            "wechat_webhook_url": "",
            "push_max_attempts": "4",
            "push_retry_seconds": "30",
        },
    )
    assert bad.status_code == 200
    assert 'id="alert-rule-link"' in bad.content.decode()
    assert not TopicReportSettings.objects.filter(bureau=jx).exists()


def test_weather_service_answer_is_shown_when_configured(arrive, jx, settings, jx_forecaster):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"summary": "晴，12℃，北风2级", "source": "local test service"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WEATHER_URL = f"http://127.0.0.1:{server.server_address[1]}/weather"
    try:
        arrive(jx)
    finally:
        server.shutdown()
        server.server_close()
    report = TopicReport.objects.get()
    assert report.context["weather"] == {
        "configured": True,
        "ok": True,
        "summary": "晴，12℃，北风2级",
        "source": "local test service",
    }
    assert "晴，12℃" in pdf_text(report)


def test_report_page_in_english(client, jx_report, jx_viewer):
    client.force_login(jx_viewer)
    page = client.get(jx_report.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3. Towns within 50 km" in page
    assert "Aoyang" in page
    html = client.get(
        reverse("reports:topic-html", args=[jx_report.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Special-topic report of the quake area" in html
    assert 'name="viewport"' in html


def test_cenc_dashboard_lists_the_provinces_ready_reports(client, jx_report, cenc_forecaster):
    client.force_login(cenc_forecaster)
    page = client.get(reverse("home")).content.decode()
    assert 'data-panel="topic_reports"' in page
    assert "江西宜春市上高县 · JX" in page


def test_api_lists_the_reports_of_one_event(api, jx_report, jx_viewer):
    found = (
        api(jx_viewer).get("/api/v1/topic-reports/", {"event": jx_report.event.public_id}).json()["results"]
    )
    assert [r["id"] for r in found] == [jx_report.pk]
    assert found[0]["pdf_url"] == reverse("reports:topic-pdf", args=[jx_report.pk])
    assert api(jx_viewer).get("/api/v1/topic-reports/", {"event": "nope"}).json()["results"] == []


def test_wechat_markdown_stays_under_the_bot_limit_and_keeps_the_link():
    report = TopicReport(
        pk=7,
        context={
            "event": {
                "location_name": "很长的地名" * 400,
                "magnitude": 4.1,
                "origin_time_bj": "2026-11-22 08:00:00",
            }
        },
    )
    content = push_channel_services.wechat_markdown(report)
    assert len(content.encode()) <= 4096
    assert content.endswith("(http://127.0.0.1:8000/reports/topic/7/)")


def test_dashboard_flags_a_report_no_worker_took(client, jx, jx_forecaster):
    event = record(jx, magnitude=2.0)
    report = TopicReportFactory(event=event, status="queued")
    client.force_login(jx_forecaster)
    assert (
        "is the report worker running?"
        not in client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    TopicReport.objects.filter(pk=report.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=5))
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Still queued after 3 minutes: is the report worker running?" in page


@pytest.mark.parametrize("allowed", [False, True], ids=["without-the-right", "with-the-right"])
def test_requeue_checks_the_right_before_the_state(arrive, as_actor, jx, jx_viewer, jx_forecaster, allowed):
    """A ready report cannot be requeued: a viewer hears 403, a forecaster 409 (and why)."""
    from portal.exceptions import InvalidTransition, PermissionDenied

    arrive(jx)
    report = TopicReport.objects.get()
    assert report.status == "ready"
    audits = AuditEvent.objects.count()
    person = jx_forecaster if allowed else jx_viewer
    with pytest.raises(InvalidTransition if allowed else PermissionDenied) as refused:
        topic_report_services.topic_report_requeue(actor=as_actor(person), report=report)
    assert type(refused.value) is (InvalidTransition if allowed else PermissionDenied)
    report.refresh_from_db()
    assert (report.status, AuditEvent.objects.count()) == ("ready", audits)


@pytest.mark.parametrize("allowed", [False, True], ids=["without-the-right", "with-the-right"])
def test_push_retry_checks_the_right_before_the_state(
    arrive, as_actor, jx, jx_admin, jx_viewer, jx_forecaster, webhook, allowed
):
    """A sent push cannot be retried: a viewer hears 403, a forecaster 409 (and why)."""
    from portal.exceptions import InvalidTransition, PermissionDenied

    topic_settings_services.topic_report_settings_update(
        actor=as_actor(jx_admin), wechat_webhook_url=webhook(status=200).url
    )
    arrive(jx)
    attempt = PushAttempt.objects.get(channel="wechat")
    assert attempt.status == "sent"
    person = jx_forecaster if allowed else jx_viewer
    # the message is translated when raised; a request of an earlier test may have left English active
    with (
        translation.override("zh-hans"),
        pytest.raises(InvalidTransition if allowed else PermissionDenied) as refused,
    ):
        push_services.push_retry(actor=as_actor(person), attempt=attempt)
    assert type(refused.value) is (InvalidTransition if allowed else PermissionDenied)
    if allowed:
        assert refused.value.message == "该推送当前为“已发送”，不能重试推送（仅限以下状态：失败）。"
    attempt.refresh_from_db()
    assert (attempt.status, attempt.attempts) == ("sent", 1)
