"""The topic report workflow on the engine, over every (state, action) pair: a legal move lands
in its state with one audit row and tells exactly who must act; an illegal one is 409 and
changes nothing; a move the person may not make is 403 whatever the state."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification
from portal.workflow import transition
from reports.models import TopicReport
from reports.services import topic_reports as topic_report_services

from .test_topic_reports import record

pytestmark = pytest.mark.django_db

STATES = [s.value for s in TopicReport.Status]
WORKER_MOVES = {"start", "finish", "fail", "recover"}
# who is told of each move (a failure goes to those who can rebuild it)
TOLD = {
    "start": set(),
    "finish": set(),
    "fail": {"jx_forecaster", "jx_chair", "jx_admin"},
    "requeue": set(),
    "recover": set(),
}


@pytest.fixture
def report_in(jx, jx_forecaster, jx_chair, jx_admin, jx_viewer):
    event = record(jx, magnitude=2.0)

    def make(state):
        return TopicReport.objects.create(
            bureau=jx, event=event, event_version=1, status=state, received_at=timezone.now()
        )

    return make


def _move(report, action, actor):
    if action == "start":
        return topic_report_services.topic_report_start(report=report)
    if action == "finish":
        return topic_report_services.topic_report_finish(
            report=report, content={}, pdf=b"%PDF", maps={}, timings={}, push=False
        )
    if action == "fail":
        return topic_report_services.topic_report_fail(report=report, error="map server down")
    if action == "requeue":
        return topic_report_services.topic_report_requeue(actor=actor, report=report)
    return transition(report, action, None, workflow=topic_report_services.WORKFLOW)


def _snapshot(report):
    report.refresh_from_db()
    return (
        report.status,
        report.updated_at,
        AuditEvent.objects.filter(target_id=str(report.pk), target_type="reports.topicreport").count(),
        Notification.objects.count(),
    )


def test_the_table_is_the_one_the_docstring_draws():
    assert {
        a: (sorted(t.sources), t.target) for a, t in topic_report_services.WORKFLOW.transitions.items()
    } == {
        "start": (["queued"], "building"),
        "finish": (["building"], "ready"),
        "fail": (["building", "queued"], "failed"),
        "requeue": (["failed"], "queued"),
        "recover": (["building"], "queued"),
    }


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (a, s)
        for a, step in topic_report_services.WORKFLOW.transitions.items()
        for s in STATES
        if s in step.sources
    ],
)
def test_legal_move_lands_audits_once_and_tells_who_must_act(
    report_in, as_actor, jx_forecaster, action, state
):
    # given
    report = report_in(state)
    before = AuditEvent.objects.filter(target_id=str(report.pk), target_type="reports.topicreport").count()
    # when
    moved = _move(report, action, as_actor(jx_forecaster))
    # then
    target = topic_report_services.WORKFLOW.transitions[action].target
    report.refresh_from_db()
    assert (moved.status, report.status) == (target, target)
    events = AuditEvent.objects.filter(target_id=str(report.pk), target_type="reports.topicreport")
    assert events.count() == before + 1
    event = events.order_by("id").last()
    assert (event.action, event.from_state, event.to_state) == (
        topic_report_services.WORKFLOW.audit_action(action),
        state,
        target,
    )
    told = Notification.objects.all()
    assert {n.recipient.username for n in told} == TOLD[action]
    assert all(n.url == report.get_absolute_url() for n in told)


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (a, s)
        for a, step in topic_report_services.WORKFLOW.transitions.items()
        for s in STATES
        if s not in step.sources
    ],
)
def test_illegal_move_is_409_and_changes_nothing(report_in, as_actor, jx_forecaster, action, state):
    report = report_in(state)
    before = _snapshot(report)
    with pytest.raises(InvalidTransition) as refused:
        _move(report, action, as_actor(jx_forecaster))
    assert refused.value.status_code == 409
    assert _snapshot(report) == before


@pytest.mark.parametrize(
    ("action", "state", "who"),
    [("requeue", s, "jx_viewer") for s in STATES]
    + [(a, s, "jx_forecaster") for a in WORKER_MOVES for s in STATES],
)
def test_a_move_the_person_may_not_make_is_403_before_the_state(
    request, report_in, as_actor, action, state, who
):
    """Rebuilding is for forecasters, chairs and admins; the build's own moves are the worker's."""
    report = report_in(state)
    before = _snapshot(report)
    with pytest.raises(PermissionDenied) as refused:
        transition(
            report, action, as_actor(request.getfixturevalue(who)), workflow=topic_report_services.WORKFLOW
        )
    assert refused.value.status_code == 403
    assert _snapshot(report) == before
