"""The whole emergency flow with a real Celery worker, Redis channels, a local webhook receiver.

Quick-report SMS posted to the catalog API -> task catalog.event_arrived -> task
reports.topic_report_for_event -> the worker builds the special-topic report -> PDF on
disk, websocket notice to the bureau, e-mail, WeChat Work markdown to a real HTTP server
on 127.0.0.1; a failing webhook is retried with backoff and recorded as failed.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore

from portal.asgi import application
from reports.models import PushAttempt, TopicReport
from reports.services import topic_settings as topic_settings_services

from .conftest import jx_sms

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.asyncio]


def session_cookie(user) -> bytes:
    """The cookie of a signed-in session of ``user`` (what the browser would send)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


def wait_for(check, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


async def connect(user):
    communicator = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"origin", b"http://localhost"), (b"cookie", session_cookie(user))],
    )
    connected, _code = await communicator.connect(timeout=10)
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["kind"] == "hello"
    return communicator


async def next_report_notice(communicator, timeout=90.0):
    """The urgent notice of a topic report (other apps may notify the bureau of the quake too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = await communicator.receive_json_from(timeout=max(deadline - time.monotonic(), 0.1))
        if (
            event.get("kind") == "notification"
            and event.get("level") == "urgent"
            and event.get("url", "").startswith("/reports/topic/")
        ):
            return event
    raise AssertionError("no urgent topic-report notification")


async def test_quick_report_to_pushed_report_with_a_real_worker(
    real_celery, api, as_actor, jx, jx_admin, jx_forecaster, nm_forecaster, jx_towns, webhook
):
    # given: JX pushes by e-mail and to a group bot on this machine
    receiver = webhook()
    topic_settings_services.topic_report_settings_update(
        actor=as_actor(jx_admin), email_recipients="duty@jx.example.cn", wechat_webhook_url=receiver.url
    )
    on_duty = await connect(jx_forecaster)
    stranger = await connect(nm_forecaster)
    # when: the quick-report SMS arrives through the catalog's API
    response = api(jx_forecaster).post("/api/v1/quick-reports/", {"text": jx_sms("4.1")}, format="json")
    assert response.status_code == 201, response.json()
    # then: the worker builds the report and the bureau's people get the urgent notice
    notice = await next_report_notice(on_duty)
    report = wait_for(lambda: TopicReport.objects.filter(status="ready").first(), what="ready report")
    assert notice["url"] == report.get_absolute_url()
    assert "上高县" in notice["title"]
    assert await stranger.receive_nothing(timeout=0.5)
    await on_duty.disconnect()
    await stranger.disconnect()
    assert (report.ready_at - report.received_at).total_seconds() < 60
    text = subprocess.run(
        ["pdftotext", report.pdf.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "江西宜春市上高县" in text
    assert "M4.1" in text
    wait_for(lambda: receiver.received, what="webhook POST")
    [payload] = receiver.received
    assert payload["msgtype"] == "markdown"
    assert f"/reports/topic/{report.pk}/" in payload["markdown"]["content"]
    pushes = wait_for(
        lambda: (
            rows
            if len(rows := list(PushAttempt.objects.filter(report=report).order_by("channel"))) == 3
            and all(p.status == "sent" for p in rows)
            else None
        ),
        what="three pushes sent",
    )
    assert [(p.channel, p.status, p.attempts) for p in pushes] == [
        ("email", "sent", 1),
        ("websocket", "sent", 1),
        ("wechat", "sent", 1),
    ]
    assert pushes[0].target == "duty@jx.example.cn"


async def test_failing_webhook_is_retried_by_the_worker_and_recorded(
    real_celery, api, client, as_actor, jx, jx_admin, jx_forecaster, webhook
):
    # given: a group bot that answers 500, three attempts one and two seconds apart
    receiver = webhook(status=500)
    topic_settings_services.topic_report_settings_update(
        actor=as_actor(jx_admin), wechat_webhook_url=receiver.url, push_max_attempts=3, push_retry_seconds=1
    )
    # when
    response = api(jx_forecaster).post("/api/v1/quick-reports/", {"text": jx_sms("4.5")}, format="json")
    assert response.status_code == 201
    # then
    attempt = wait_for(
        lambda: PushAttempt.objects.filter(channel="wechat", status="failed").first(), what="failed push"
    )
    assert attempt.attempts == 3
    assert "HTTP 500" in attempt.last_error
    assert len(receiver.received) == 3
    assert PushAttempt.objects.get(report=attempt.report, channel="websocket").status == "sent"
    client.force_login(jx_forecaster)
    page = client.get(attempt.report.get_absolute_url()).content.decode()
    assert 'data-channel="wechat" data-push-status="failed"' in page
    assert "HTTP 500" in page
