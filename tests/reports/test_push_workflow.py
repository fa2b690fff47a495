"""Pushes of a topic report move through the workflow engine: the table is registered, a person
cannot make the worker's moves, a refused move changes nothing, every move is audited with
from and to, a push that fails for good tells the bureau (not for the in-app channel)."""

from __future__ import annotations

import pytest
from django.utils import translation

from portal import workflow
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification
from reports.models import PushAttempt, TopicReportSettings
from reports.services import pushes as push_services
from tests.factories import EventFactory, TopicReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(jx):
    def make(channel="email", status="pending", attempts=0, max_attempts=2):
        report = TopicReportFactory(event=EventFactory(bureau=jx), status="ready")
        return PushAttempt.objects.create(
            bureau=jx,
            report=report,
            channel=channel,
            status=status,
            attempts=attempts,
            max_attempts=max_attempts,
        )

    return make


def _unchanged(attempt):
    attempt.refresh_from_db()
    return (attempt.status, attempt.attempts, attempt.updated_at, AuditEvent.objects.count())


def test_the_push_table_is_registered_with_words():
    assert workflow.workflow_for(PushAttempt()) is push_services.PUSH_WORKFLOW
    with translation.override("zh-hans"):
        assert workflow.label("push.fail") == "最后一次推送失败"
        assert workflow.label("push.retry") == "重试推送"


def test_a_person_cannot_make_the_workers_moves(attempt, as_actor, jx_forecaster):
    push = attempt()
    before = _unchanged(push)
    with pytest.raises(PermissionDenied):
        workflow.transition(push, "sent", as_actor(jx_forecaster), workflow=push_services.PUSH_WORKFLOW)
    assert _unchanged(push) == before


def test_retry_of_a_push_still_pending_is_409_and_changes_nothing(attempt, as_actor, jx_forecaster):
    push = attempt()
    before = _unchanged(push)
    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        push_services.push_retry(actor=as_actor(jx_forecaster), attempt=push)
    assert refused.value.message == "This push is pending; it cannot be push retried (only from: failed)."
    assert _unchanged(push) == before


def test_tries_are_audited_and_the_last_failure_tells_the_bureau(attempt, jx, jx_forecaster):
    push = attempt(max_attempts=2)
    options = TopicReportSettings(bureau=jx)
    _push, delay = push_services._push_record(attempt_id=push.pk, error="HTTP 500", options=options)
    assert delay == options.push_retry_seconds
    push_services._push_record(attempt_id=push.pk, error="HTTP 502", options=options)
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == ("failed", 2, "HTTP 502")
    moves = list(
        AuditEvent.objects.filter(target_id=str(push.pk), target_type="reports.pushattempt")
        .order_by("id")
        .values_list("action", "actor", "from_state", "to_state")
    )
    assert moves == [
        ("push.error", None, "pending", "retrying"),
        ("push.fail", None, "retrying", "failed"),
    ]
    note = Notification.objects.get(kind="topic_report.push_failed", recipient=jx_forecaster)
    assert (note.body, note.url) == ("HTTP 502", push.report.get_absolute_url())


def test_the_in_app_channel_failing_tells_no_one(attempt, jx):
    push = attempt(channel="websocket", max_attempts=1)
    push_services._push_record(attempt_id=push.pk, error="redis down", options=TopicReportSettings(bureau=jx))
    push.refresh_from_db()
    assert push.status == "failed"
    assert not Notification.objects.filter(kind="topic_report.push_failed").exists()


def test_the_watchdog_leaves_a_sent_push_alone(attempt):
    push = attempt(status="sent", attempts=1)
    before = _unchanged(push)
    assert push_services.push_fail(attempt_id=push.pk, message="worker ended") is False
    assert _unchanged(push) == before
