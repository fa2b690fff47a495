"""An issued opinion is pushed like the special-topic report (every try recorded, retried with
backoff, failures told and retried by a person); the bureau admin's settings page and API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from portal.models import Notification
from postquake.models import OpinionPush, PostQuakeSettings
from postquake.services import opinion_transition
from postquake.services.pushes import opinion_message, opinion_push_retry, opinion_pushes_fail_abandoned
from reports.models import TopicReportSettings

pytestmark = pytest.mark.django_db

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key"


class _Answer:
    def __init__(self, status: int, body: dict) -> None:
        self.status_code, self._body, self.text = status, body, str(body)

    def json(self) -> dict:
        return self._body


@pytest.fixture
def channels(jx):
    return TopicReportSettings.objects.create(
        bureau=jx, email_recipients="duty@jx.example.cn", wechat_webhook_url=WEBHOOK, push_max_attempts=3
    )


def _issue(case, chair, as_actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return opinion_transition(actor=as_actor(chair), opinion=case.opinions.get(number=1), action="issue")


def test_an_issued_opinion_is_pushed_over_every_channel_and_each_try_recorded(
    jx_chair, jx_forecaster, channels, drafted_case, as_actor, monkeypatch, django_capture_on_commit_callbacks
):
    posts = []
    monkeypatch.setattr(
        "reports.services.push_channels.requests.post",
        lambda url, **kw: posts.append((url, kw)) or _Answer(200, {"errcode": 0}),
    )
    opinion = _issue(drafted_case, jx_chair, as_actor, django_capture_on_commit_callbacks)
    pushes = {p.channel: (p.status, p.attempts) for p in OpinionPush.objects.filter(opinion=opinion)}
    assert pushes == {"websocket": ("sent", 1), "email": ("sent", 1), "wechat": ("sent", 1)}
    assert "secret-key" not in OpinionPush.objects.get(channel="wechat").target
    assert [m.to for m in mail.outbox] == [["duty@jx.example.cn"]]
    assert "震后趋势判定意见第1号" in mail.outbox[0].subject
    assert opinion.text.splitlines()[0] in mail.outbox[0].body
    assert f"/postquake/{drafted_case.pk}/#opinion-1" in mail.outbox[0].body
    [(url, kw)] = posts
    assert url == WEBHOOK
    assert "查看震后趋势判定" in kw["data"].decode()
    # the in-app channel told every member of the bureau
    assert Notification.objects.filter(recipient=jx_forecaster, kind="postquake_opinion.issued").count() == 1


def test_a_failing_channel_is_retried_then_failed_and_told_and_a_person_retries_it(
    jx_chair, jx_forecaster, channels, drafted_case, as_actor, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        "reports.services.push_channels.requests.post",
        lambda url, **kw: _Answer(200, {"errcode": 93000, "errmsg": "bad key"}),
    )
    _issue(drafted_case, jx_chair, as_actor, django_capture_on_commit_callbacks)
    wechat = OpinionPush.objects.get(channel="wechat")
    assert (wechat.status, wechat.attempts) == ("failed", 3)
    assert "errcode 93000" in wechat.last_error
    told = Notification.objects.filter(recipient=jx_forecaster, kind="postquake_opinion.push_failed").get()
    assert "93000" in told.body
    assert OpinionPush.objects.get(channel="email").status == "sent"
    # the case page shows the failure with a retry button to the people told
    from django.test import Client

    client = Client()
    client.force_login(jx_forecaster)
    html = client.get(drafted_case.get_absolute_url()).content.decode()
    assert f'data-push="{wechat.pk}" data-status="failed"' in html
    assert reverse("postquake:push-retry", kwargs={"push_id": wechat.pk}) in html
    # a person retries after the key is fixed
    monkeypatch.setattr(
        "reports.services.push_channels.requests.post", lambda url, **kw: _Answer(200, {"errcode": 0})
    )
    with django_capture_on_commit_callbacks(execute=True):
        opinion_push_retry(actor=as_actor(jx_forecaster), push=wechat)
    wechat.refresh_from_db()
    assert (wechat.status, wechat.attempts) == ("sent", 4)


def test_the_watchdog_fails_a_push_no_worker_is_on(
    jx_chair, drafted_case, as_actor, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    opinion = opinion_transition(
        actor=as_actor(jx_chair), opinion=drafted_case.opinions.get(number=1), action="issue"
    )
    push = OpinionPush.objects.get(opinion=opinion)  # its send never ran (no commit)
    OpinionPush.objects.filter(pk=push.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    assert opinion_pushes_fail_abandoned() == [push.pk]
    push.refresh_from_db()
    assert push.status == "failed"


def test_the_push_message_names_the_quake_and_the_issuer(jx_chair, drafted_case, as_actor):
    opinion = opinion_transition(
        actor=as_actor(jx_chair), opinion=drafted_case.opinions.get(number=1), action="issue"
    )
    message = opinion_message(opinion)
    assert message.headline.endswith("震后趋势判定意见第1号")
    assert message.path == f"/postquake/{drafted_case.pk}/#opinion-1"
    assert message.lines[-1].startswith(f"{jx_chair.label} 于 ")


# --- settings -------------------------------------------------------------------------------

API = "/api/v1/post-quake-settings/"


def test_the_settings_api_gives_the_defaults_and_the_admin_changes_them(jx_admin, jx_forecaster, api):
    body = api(jx_forecaster).get(API).json()
    assert body == {
        "due_minutes": 30,
        "remind_minutes": 20,
        "rj_a": -1.67,
        "rj_b": 0.91,
        "rj_p": 1.08,
        "rj_c": 0.05,
        "min_fit_events": 20,
        "signoff_required": False,
        "reevaluate_hours": [2, 24, 72],
        "reevaluate_magnitude": 4.0,
    }
    assert api(jx_forecaster).put(API, {"due_minutes": 20}, format="json").status_code == 403
    saved = api(jx_admin).put(
        API,
        {"signoff_required": True, "reevaluate_hours": [72, 6, 6], "reevaluate_magnitude": 4.5},
        format="json",
    )
    assert saved.status_code == 200
    assert (saved.json()["reevaluate_hours"], saved.json()["signoff_required"]) == ([6, 72], True)
    row = PostQuakeSettings.objects.get(bureau__code="JX")
    assert (row.due_minutes, row.reevaluate_magnitude, row.signoff_required) == (30, 4.5, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rj_p": 5}, "rj_p"),
        ({"rj_c": 0}, "rj_c"),
        ({"due_minutes": 0}, "due_minutes"),
        ({"reevaluate_hours": [0, 24]}, "reevaluate_hours"),
        ({"reevaluate_hours": "soon"}, "reevaluate_hours"),
        ({"reevaluate_magnitude": 12}, "reevaluate_magnitude"),
        ({"min_fit_events": "many"}, "min_fit_events"),
    ],
)
def test_a_bad_setting_is_a_400_naming_the_field(jx_admin, api, body, field):
    response = api(jx_admin).put(API, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not PostQuakeSettings.objects.exists()


def test_the_settings_page_for_the_admin_only(jx_admin, jx_forecaster, client):
    url = reverse("postquake:settings")
    client.force_login(jx_forecaster)
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("postquake:case-list")).content.decode()
    client.force_login(jx_admin)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="rj-note"' in html
    assert "Reasenberg" in html
    assert url in client.get(reverse("postquake:case-list")).content.decode()
    bad = client.post(
        url,
        {
            "due_minutes": 30,
            "remind_minutes": 20,
            "rj_a": -1.67,
            "rj_b": 0.91,
            "rj_p": 9,
            "rj_c": 0.05,
            "min_fit_events": 20,
            "reevaluate_hours": "2, 24",
            "reevaluate_magnitude": 4,
        },
    )
    assert bad.status_code == 200
    assert not PostQuakeSettings.objects.exists()
    hours = client.post(
        url,
        {
            "due_minutes": 30,
            "remind_minutes": 20,
            "rj_a": -1.67,
            "rj_b": 0.91,
            "rj_p": 1.1,
            "rj_c": 0.05,
            "min_fit_events": 20,
            "reevaluate_hours": "2, 1000",
            "reevaluate_magnitude": 4,
        },
    )
    assert hours.status_code == 200
    assert "invalid-feedback" in hours.content.decode()
    ok = client.post(
        url,
        {
            "due_minutes": 25,
            "remind_minutes": 15,
            "rj_a": -1.67,
            "rj_b": 0.91,
            "rj_p": 1.1,
            "rj_c": 0.05,
            "min_fit_events": 20,
            "reevaluate_hours": "2，12, 48",
            "reevaluate_magnitude": 4,
            "signoff_required": "on",
        },
    )
    assert ok.status_code == 302
    row = PostQuakeSettings.objects.get()
    assert (row.due_minutes, row.rj_p, row.reevaluate_hours, row.signoff_required) == (
        25,
        1.1,
        [2, 12, 48],
        True,
    )
