"""Everyone is told when work waits for them: the report and meeting hand-offs, the bell, the
"waiting for me" list, the review page and the history in words (issue 10, items 2 and 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from consultations.models import Conclusion, ConsultationReport
from consultations.services import meetings as meeting_services
from consultations.services import report_workflow as report_services
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification, NotificationDelivery

pytestmark = pytest.mark.django_db


def _client(user, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _waiting(page: str) -> str:
    """The "waiting for me" list of a page (not the notifications below it)."""
    start = page.index('id="waiting-list"')
    return page[start : page.index("</ul>", start)]


def _told(user, report: ConsultationReport) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(recipient=user, url=f"/consultations/reports/{report.pk}/")
        .order_by("id")
        .values_list("title", "body")
    )


@pytest.fixture
def second_approver(make_person, jx):
    return make_person("jx_approver2", (jx, "approver"), display_name="赣审核二")


def test_submit_tells_every_reviewer_and_raises_their_bell(
    report_in, jx_chair, jx_approver, second_approver, jx_forecaster
):
    # when the chair submits the report
    report = report_in("submitted")
    # then each approver of the bureau is told, with a link to the report; nobody else is
    title = f"Consultation report to review: {report.title}"
    assert _told(jx_approver, report) == [(title, f"{report.title} v1")]
    assert _told(second_approver, report) == [(title, f"{report.title} v1")]
    assert _told(jx_chair, report) == []
    assert _told(jx_forecaster, report) == []
    # and the bell of the reviewer shows it after a reload
    page = _client(jx_approver).get("/").content.decode()
    assert 'js-unread-count">1</span>' in page


def test_return_tells_the_drafter_with_the_comment(report_in, jx_chair, jx_approver):
    report = report_in("returned")  # returned by the approver with "补充形变学科意见"
    assert _told(jx_chair, report) == [
        (f"Consultation report returned for revision: {report.title}", "补充形变学科意见")
    ]


def test_review_tells_the_approvers_who_may_sign(report_in, jx_approver, second_approver):
    report = report_in("reviewed")  # reviewed by jx_approver
    assert _told(second_approver, report)[-1][0] == f"Consultation report to sign off: {report.title}"
    assert [t for t, _b in _told(jx_approver, report)] == [f"Consultation report to review: {report.title}"]


def test_sign_off_tells_the_drafter_and_the_chair(
    closed_meeting, jx_forecaster, jx_chair, jx_approver, as_actor
):
    # given a report drafted and submitted by a forecaster of a meeting jx_chair chaired
    drafter = as_actor(jx_forecaster)
    report = report_services.report_create(actor=drafter, meeting=closed_meeting)
    report_services.report_submit(actor=drafter, report=report)
    report_services.report_review(actor=as_actor(jx_approver), report=report)
    # when the approver signs it off
    report_services.report_sign_off(actor=as_actor(jx_approver), report=report, comment="同意签发")
    # then the drafter and the chair are told
    signed = (f"Consultation report signed off: {report.title}", "同意签发")
    assert _told(jx_forecaster, report) == [signed]
    assert _told(jx_chair, report) == [signed]


def test_permission_before_state_and_the_refusal_in_words(report_in, jx_viewer, jx_approver, as_actor):
    report = report_in("draft")
    with pytest.raises(PermissionDenied):
        report_services.report_sign_off(actor=as_actor(jx_viewer), report=report)
    with pytest.raises(InvalidTransition) as refused:
        report_services.report_sign_off(actor=as_actor(jx_approver), report=report)
    assert refused.value.message == (
        "This consultation report is draft; it cannot be signed off (only from: reviewed)."
    )
    report.refresh_from_db()
    assert (report.status, AuditEvent.objects.filter(action="report.sign_off").count()) == ("draft", 0)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-hans", ["提交审核", "审核通过", "已提交审核 → 已审核"]),
        ("en", ["submitted for review", "reviewed"]),
    ],
)
def test_history_shows_actions_in_words_never_codes(report_in, jx_approver, language, words):
    report = report_in("reviewed")
    page = _client(jx_approver, language).get(f"/consultations/reports/{report.pk}/").content.decode()
    history = page[page.index('id="audit"') :]
    for word in words:
        assert word in history
    assert "report.submit" not in history


def test_review_page_shows_the_report_its_forecasts_and_changes(report_in, jx_approver, jx_chair, as_actor):
    # given a report returned, its conclusion then corrected, and submitted again
    report = report_in("returned")
    Conclusion.objects.filter(meeting=report.meeting).update(
        text="未来一个月赣北地区存在发生5级左右地震的可能。"
    )
    report_services.report_submit(actor=as_actor(jx_chair), report=report)
    # when the approver opens it
    page = _client(jx_approver).get(f"/consultations/reports/{report.pk}/").content.decode()
    # then the page shows the report itself, the forecast table and map, and the change
    assert 'id="report-conclusion"' in page
    assert "未来一个月赣北地区存在发生5级左右地震的可能。" in page
    assert "2026-12-01 – 2026-12-31" in page
    assert 'id="report-map"' in page
    assert 'id="report-regions"' in page
    assert (
        '<span class="d-block text-danger bg-danger-subtle text-decoration-line-through" data-op="-">- 未来一个月赣中地区'
        in page
    )
    assert '<span class="d-block text-success bg-success-subtle" data-op="+">+ 未来一个月赣北地区' in page
    assert "对比第1次提交" in page
    # and its actions are the workflow's, in words
    assert 'data-action="review"' in page
    assert "审核通过" in page


def test_first_submission_has_nothing_to_compare(report_in, jx_approver):
    report = report_in("submitted")
    page = _client(jx_approver).get(f"/consultations/reports/{report.pk}/").content.decode()
    assert "首个版本，无可对比。" in page


def test_waiting_for_me_lists_the_next_step_with_a_link(report_in, jx_approver, second_approver, jx_chair):
    report = report_in("reviewed")  # reviewed by jx_approver: another approver signs
    url = f'href="/consultations/reports/{report.pk}/"'
    waiting = _waiting(_client(second_approver).get("/notifications/").content.decode())
    assert url in waiting
    assert "待签发" in waiting
    home = _client(second_approver).get("/").content.decode()
    assert 'data-panel="waiting"' in home
    assert url in home
    # the chair has nothing to do with a reviewed report
    assert url not in _waiting(_client(jx_chair).get("/notifications/").content.decode())


def test_a_returned_report_waits_for_its_drafter(report_in, jx_chair, jx_approver):
    report = report_in("returned")
    waiting = _waiting(_client(jx_chair).get("/notifications/").content.decode())
    assert f'href="/consultations/reports/{report.pk}/"' in waiting
    assert "已退回给您：修改后重新提交" in waiting
    approver = _waiting(_client(jx_approver).get("/notifications/").content.decode())
    assert f'href="/consultations/reports/{report.pk}/"' not in approver


def test_opening_a_meeting_asks_its_participants_in(make_meeting, jx_chair, jx_expert, as_actor):
    meeting = make_meeting(jx_chair, participants=[jx_expert])
    meeting_services.meeting_open(actor=as_actor(jx_chair), meeting=meeting)
    told = Notification.objects.get(recipient=jx_expert, kind="meeting")
    assert (told.title, told.url) == (
        f"Consultation meeting in session: {meeting.title}",
        meeting.get_absolute_url(),
    )
    trail = AuditEvent.objects.get(action="meeting.open", target_id=str(meeting.pk))
    assert (trail.from_state, trail.to_state) == ("scheduled", "open")


# --- the person's own channels --------------------------------------------------------------


def test_a_person_chooses_e_mail_and_the_hand_off_is_delivered(
    report_in, jx_approver, django_capture_on_commit_callbacks
):
    jx_approver.email = "approver@jx.example"
    jx_approver.save()
    client = _client(jx_approver)
    assert client.post("/me/settings/", {"email": "on"}).status_code == 302
    jx_approver.refresh_from_db()
    assert (jx_approver.notify_by_email, jx_approver.notify_by_sms) == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_in("submitted")
    delivery = NotificationDelivery.objects.get(notification__recipient=jx_approver)
    assert (delivery.channel, delivery.status, delivery.target, delivery.attempts) == (
        "email",
        "sent",
        "approver@jx.example",
        1,
    )
    assert [m.subject for m in mail.outbox] == [delivery.notification.title]
    assert delivery.notification.title.endswith(report.title)
    assert f"/consultations/reports/{report.pk}/" in mail.outbox[0].body


def test_sms_needs_a_phone_and_a_gateway(jx_approver, settings):
    settings.SMS_GATEWAY_URL = ""
    jx_approver.phone = "13800000000"
    jx_approver.save()
    _client(jx_approver).post("/me/settings/", {"sms": "on"})
    jx_approver.refresh_from_db()
    assert jx_approver.notify_by_sms is False
    settings.SMS_GATEWAY_URL = "http://sms.invalid/send"
    _client(jx_approver).post("/me/settings/", {"sms": "on"})
    jx_approver.refresh_from_db()
    assert jx_approver.notify_by_sms is True


def test_an_sms_that_cannot_be_sent_ends_failed_with_the_error(
    report_in, jx_approver, settings, monkeypatch, django_capture_on_commit_callbacks
):
    import requests

    settings.SMS_GATEWAY_URL = "http://sms.invalid/send"
    jx_approver.phone, jx_approver.notify_by_sms = "13800000000", True
    jx_approver.save()

    def refuse(*args, **kwargs):
        raise requests.ConnectionError("gateway unreachable")

    monkeypatch.setattr(requests, "post", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        report_in("submitted")
    delivery = NotificationDelivery.objects.get(notification__recipient=jx_approver)
    assert (delivery.channel, delivery.status, delivery.attempts, delivery.last_error) == (
        "sms",
        "failed",
        3,
        "gateway unreachable",
    )
    page = _client(jx_approver).get("/notifications/").content.decode()
    assert 'data-delivery="sms" data-status="failed"' in page


def test_a_delivery_whose_worker_died_ends_failed(report_in, jx_approver):
    from portal import jobs

    jx_approver.email, jx_approver.notify_by_email = "approver@jx.example", True
    jx_approver.save()
    report_in("submitted")  # the task never runs: its message is lost with the rolled-back commit
    delivery = NotificationDelivery.objects.get(notification__recipient=jx_approver)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        updated_at=delivery.updated_at - dt.timedelta(hours=1)
    )
    assert jobs.watchdog()["portal.notification_delivery"] == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "The delivery's worker ended before it was sent.",
    )
    trail = AuditEvent.objects.get(action="notification_delivery.fail", target_id=str(delivery.pk))
    assert (trail.from_state, trail.to_state, trail.actor) == ("pending", "failed", None)


def test_waiting_for_me_over_the_api(api, report_in, jx_approver, jx_chair):
    report = report_in("submitted")
    body = api(jx_approver).get("/api/v1/me/waiting/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["count"] == 1
    assert [(i["kind"], i["url"], i["what"]) for i in body["results"]] == [
        ("consultation_report", f"/consultations/reports/{report.pk}/", "to review")
    ]
    assert api(jx_chair).get("/api/v1/me/waiting/").json()["results"] == []
