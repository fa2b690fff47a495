"""The anomaly workflow on the engine, over every (state, action) pair: a legal move lands in its
state with one audit row and tells exactly the people who act next; an illegal one is 409 and
changes nothing; without the right it is 403 whatever the state."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from disciplines.services import anomalies as anomaly_services
from disciplines.services import anomaly_workflow
from disciplines.services import overdue as overdue_services
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db

STATES = ["reported", "returned", "verifying", "verified", "assessed", "tracking", "closed"]

# action -> (who acts, who is told); jx_expert verifies, jx_expert2 reviews and decides
CASES = {
    "assign": ("jx_expert2", {"jx_expert"}),
    "reassign": ("jx_admin", {"jx_expert2"}),
    "return_report": ("jx_expert2", {"jx_reporter"}),
    "resubmit": ("jx_reporter", {"jx_expert", "jx_expert2"}),
    "withdraw": ("jx_reporter", set()),
    "submit_verification": ("jx_expert", {"jx_expert2"}),
    "return_verification": ("jx_expert2", {"jx_expert"}),
    "assess": ("jx_expert2", set()),
    "return_assessment": ("jx_expert2", set()),
    "track": ("jx_expert2", {"jx_reporter"}),
    "close": ("jx_expert2", {"jx_reporter"}),
}
# Before assignment nobody is the verifier: that is a question of right (403), not of state.
UNASSIGNED = {("submit_verification", "reported"), ("submit_verification", "returned")}


def _kwargs(request, action):
    if action == "assign":
        return {"assignee": request.getfixturevalue("jx_expert")}
    if action == "reassign":
        return {"assignee": request.getfixturevalue("jx_expert2")}
    return {"comment": "请修改"}


def _move(request, as_actor, anomaly, action, who):
    service = anomaly_services.TRANSITION_SERVICES[action]
    actor = as_actor(request.getfixturevalue(who))
    return service(actor=actor, anomaly=anomaly, **_kwargs(request, action))


def _snapshot(anomaly):
    anomaly.refresh_from_db()
    return (
        anomaly.state,
        anomaly.assignee_id,
        anomaly.decision,
        anomaly.updated_at,
        AuditEvent.objects.filter(target_id=str(anomaly.pk)).count(),
        Notification.objects.count(),
    )


def test_the_table_covers_every_transition_service():
    assert (
        set(CASES) == set(anomaly_workflow.WORKFLOW.transitions) == set(anomaly_services.TRANSITION_SERVICES)
    )


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (a, s)
        for a, step in anomaly_workflow.WORKFLOW.transitions.items()
        for s in STATES
        if s in step.sources
    ],
)
def test_legal_move_lands_audits_once_and_tells_who_acts_next(request, in_state, as_actor, action, state):
    # given
    anomaly = in_state(state)
    who, told = CASES[action]
    audit_before = AuditEvent.objects.filter(target_id=str(anomaly.pk)).count()
    last_notification = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    # when
    moved = _move(request, as_actor, anomaly, action, who)
    # then
    target = anomaly_workflow.WORKFLOW.transitions[action].target
    anomaly.refresh_from_db()
    assert (moved.state, anomaly.state) == (target, target)
    events = AuditEvent.objects.filter(target_id=str(anomaly.pk)).order_by("id")
    assert events.count() == audit_before + 1
    event = events.last()
    assert (event.action, event.actor.username, event.from_state, event.to_state) == (
        f"anomaly.{action}",
        who,
        state,
        target,
    )
    new = Notification.objects.filter(id__gt=last_notification)
    assert {n.recipient.username for n in new} == told
    assert all(n.url == f"/disciplines/anomalies/{anomaly.pk}/" for n in new)


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (a, s)
        for a, step in anomaly_workflow.WORKFLOW.transitions.items()
        for s in STATES
        if s not in step.sources and (a, s) not in UNASSIGNED
    ],
)
def test_illegal_move_is_409_naming_state_and_action_and_changes_nothing(
    request, in_state, as_actor, action, state
):
    anomaly = in_state(state)
    before = _snapshot(anomaly)
    with pytest.raises(InvalidTransition) as refused:
        _move(request, as_actor, anomaly, action, CASES[action][0])
    assert refused.value.status_code == 409
    assert str(anomaly_workflow.WORKFLOW.state_label(state)) in refused.value.message
    assert str(anomaly_workflow.WORKFLOW.transitions[action].label) in refused.value.message
    assert _snapshot(anomaly) == before


@pytest.mark.parametrize(("action", "state"), [(a, s) for a in CASES for s in STATES])
def test_without_the_right_every_move_is_403_before_the_state(request, in_state, as_actor, action, state):
    anomaly = in_state(state)
    before = _snapshot(anomaly)
    with pytest.raises(PermissionDenied) as refused:
        _move(request, as_actor, anomaly, action, "jx_viewer")
    assert refused.value.status_code == 403
    assert refused.value.message
    assert _snapshot(anomaly) == before


def test_overdue_verification_tells_the_assignee_and_the_bureau_admin(in_state, jx_expert, jx_admin):
    # given
    anomaly = in_state("verifying")
    # when
    overdue_services.anomalies_remind_overdue(now=anomaly.verify_due_at + timedelta(minutes=1))
    # then
    assert Notification.objects.get(recipient=jx_expert, kind="anomaly.overdue").level == "urgent"
    to_admin = Notification.objects.get(recipient=jx_admin, title__contains="Overdue")
    assert (to_admin.url, to_admin.level) == (f"/disciplines/anomalies/{anomaly.pk}/", "warning")


def test_history_shows_actions_in_words_with_the_full_name(client, in_state, jx_expert2):
    """The page's history says what happened and who did it, never the audit code."""
    anomaly = in_state("verifying")
    jx_expert2.display_name = "赣专家"
    jx_expert2.save(update_fields=["display_name"])
    client.force_login(jx_expert2)
    body = client.get(f"/disciplines/anomalies/{anomaly.pk}/").content.decode()
    history = re.sub(r"<[^>]+>", "", body[body.index('id="history"') :])
    assert re.search(r"assigned for verification · 赣专家 · \d{4}-\d\d-\d\d \d\d:\d\d", history)
    assert "anomaly.assign" not in history
    assert "reported → verifying" in history
