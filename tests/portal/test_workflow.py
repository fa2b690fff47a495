"""The workflow engine itself, on a small fake table over the anomaly model: the order of the
checks (403 before 409), what is saved, the audit row, the hand-offs and the broadcast on
commit, the labels registry."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from disciplines.models import Anomaly
from portal import workflow
from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import AuditEvent, Notification
from portal.workflow import Handoff, Transition, Workflow

pytestmark = pytest.mark.django_db

State = Anomaly.State


@pytest.fixture
def anomaly(jx, jx_reporter, disciplines):
    return Anomaly.objects.create(
        bureau=jx,
        source=Anomaly.Source.EXPERT,
        kind="instrumental",
        station="南昌井",
        observation_item="水位",
        discipline=disciplines["fluid"],
        onset_at=timezone.now(),
        description="水位突升",
        state=State.REPORTED,
        reported_by=jx_reporter,
    )


def _lock(actor, obj):
    return Anomaly.objects.select_for_update().get(pk=getattr(obj, "pk", obj))


def _fake(*, allowed: bool = True, notify=None) -> Workflow:
    """``go``: reported → returned, for whoever ``allowed`` says; ``stop``: closed → closed."""
    may = lambda actor, obj: allowed  # noqa: E731
    return Workflow(
        name="fake",
        model=Anomaly,
        noun="anomaly",
        lock=_lock,
        url=lambda obj: f"/fake/{obj.pk}/",
        live=lambda obj, action: (f"bureau.{obj.bureau_id}.fake", {"state": obj.state, "action": action}),
        transitions={
            "go": Transition(frozenset({State.REPORTED}), State.RETURNED, may, "sent back", notify=notify),
            "stop": Transition(frozenset({State.CLOSED}), State.CLOSED, may, "stopped"),
        },
    )


def _unchanged(anomaly):
    anomaly.refresh_from_db()
    return (anomaly.state, anomaly.updated_at, AuditEvent.objects.count(), Notification.objects.count())


def test_permission_is_checked_before_the_state(anomaly, as_actor, jx_viewer):
    before = _unchanged(anomaly)
    with pytest.raises(PermissionDenied, match="stopped"):
        workflow.transition(anomaly, "stop", as_actor(jx_viewer), workflow=_fake(allowed=False))
    assert _unchanged(anomaly) == before


def test_wrong_state_is_409_naming_the_state_and_the_action(anomaly, as_actor, jx_expert):
    before = _unchanged(anomaly)
    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        workflow.transition(anomaly, "stop", as_actor(jx_expert), workflow=_fake())
    assert refused.value.status_code == 409
    assert refused.value.message == ("This anomaly is reported; it cannot be stopped (only from: closed).")
    assert _unchanged(anomaly) == before


def test_a_refusal_of_prepare_changes_nothing(anomaly, as_actor, jx_expert):
    before = _unchanged(anomaly)

    def prepare(locked):
        raise InvalidInput("no", field="comment")

    with pytest.raises(InvalidInput):
        workflow.transition(anomaly, "go", as_actor(jx_expert), workflow=_fake(), prepare=prepare)
    assert _unchanged(anomaly) == before


def test_saves_only_the_state_the_stamps_and_the_changes(anomaly, as_actor, jx_expert):
    with CaptureQueriesContext(connection) as queries:
        moved = workflow.transition(
            anomaly,
            "go",
            as_actor(jx_expert),
            workflow=_fake(),
            prepare=lambda locked: {"decision_comment": "stamp"},
            station="九江井",
        )
    updates = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "disciplines_anomaly"')
    ]
    assert len(updates) == 1
    assigned = updates[0].split(" SET ")[1].split(" WHERE ")[0]
    assert sorted(part.split(" = ")[0].strip('"') for part in assigned.split(", ")) == [
        "decision_comment",
        "state",
        "station",
        "updated_at",
    ]
    anomaly.refresh_from_db()
    assert (moved.state, anomaly.state, anomaly.station, anomaly.decision_comment) == (
        "returned",
        "returned",
        "九江井",
        "stamp",
    )


def test_writes_one_audit_row_tells_the_next_people_and_broadcasts_on_commit(
    anomaly, as_actor, jx_expert, jx_reporter, django_capture_on_commit_callbacks
):
    # given
    notify = lambda obj, actor, comment: [Handoff([obj.reported_by], title="back to you", body=comment)]  # noqa: E731
    # when
    with mock.patch("portal.services.broadcast") as broadcast:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            workflow.transition(
                anomaly, "go", as_actor(jx_expert), "补充照片", workflow=_fake(notify=notify), extra={"k": 1}
            )
        assert broadcast.call_count == 0  # nothing is pushed before the commit
        for callback in callbacks:
            callback()
    # then
    event = AuditEvent.objects.get(target_id=str(anomaly.pk))
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment, event.extra) == (
        "fake.go",
        jx_expert,
        "reported",
        "returned",
        "补充照片",
        {"k": 1},
    )
    told = Notification.objects.get()
    assert (told.recipient, told.title, told.body, told.url, told.kind) == (
        jx_reporter,
        "back to you",
        "补充照片",
        f"/fake/{anomaly.pk}/",
        "fake",
    )
    groups = [call.args[0] for call in broadcast.call_args_list]
    assert groups == [f"user.{jx_reporter.pk}", f"bureau.{anomaly.bureau_id}.fake"]
    assert broadcast.call_args_list[1].args[1] == {"state": "returned", "action": "go"}


def test_registered_workflow_is_found_from_the_instance(anomaly, as_actor, jx_reporter):
    moved = workflow.transition(anomaly, "withdraw", as_actor(jx_reporter))
    assert moved.state == State.CLOSED
    assert workflow.workflow_for("disciplines.anomaly").name == "anomaly"


def test_an_unregistered_model_needs_the_workflow(jx, as_actor, jx_admin):
    with pytest.raises(TypeError):
        workflow.transition(jx, "go", as_actor(jx_admin))


def test_a_table_with_an_unknown_state_fails_at_import():
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(
            name="bad",
            model=Anomaly,
            noun="anomaly",
            lock=_lock,
            transitions={"x": Transition(frozenset({"nowhere"}), State.CLOSED, lambda a, o: True, "x")},
        )


def test_labels_say_the_action_in_words_and_show_unknown_codes_as_they_are():
    workflow.register_labels({"fake.label": "done in words"})
    assert workflow.label("fake.label") == "done in words"
    with translation.override("en"):
        assert workflow.label("anomaly.assign") == "assigned for verification"
    assert workflow.label("nobody.knows") == "nobody.knows"


def test_labels_follow_the_readers_language():
    with translation.override("zh-hans"):
        assert workflow.label("anomaly.withdraw") == "撤回"


def test_every_state_machine_of_the_portal_is_registered():
    import reports.services.pushes
    import reports.services.topic_reports  # noqa: F401

    registered = {label: wf.name for label, wf in workflow._WORKFLOWS.items()}
    assert {
        "disciplines.anomaly": "anomaly",
        "disciplines.zeroreport": "zero_report",
        "products.productrun": "product_run",
        "reports.topicreport": "topic_report",
        "reports.pushattempt": "push",
        "catalog.quickreportmessage": "quick_report",
        "catalog.eventimport": "event_import",
    }.items() <= registered.items()
    for wf in workflow._WORKFLOWS.values():  # history shows every move in words
        for action in wf.transitions:
            assert workflow.label(wf.audit_action(action)) != wf.audit_action(action)


def test_a_system_move_is_refused_to_any_person(anomaly, as_actor, jx_admin):
    system = Workflow(
        name="fake_system",
        model=Anomaly,
        noun="anomaly",
        lock=_lock,
        transitions={
            "go": Transition(frozenset({State.REPORTED}), State.RETURNED, workflow.by_the_system, "x")
        },
    )
    before = _unchanged(anomaly)
    with pytest.raises(PermissionDenied):
        workflow.transition(anomaly, "go", as_actor(jx_admin), workflow=system)
    assert _unchanged(anomaly) == before
    assert workflow.transition(anomaly, "go", None, workflow=system).state == State.RETURNED


def test_check_permission_refuses_whatever_the_state(anomaly, as_actor, jx_viewer):
    with pytest.raises(PermissionDenied):
        _fake(allowed=False).check_permission(as_actor(jx_viewer), anomaly, "stop")  # stop: wrong state too


def test_live_may_broadcast_to_several_groups(
    anomaly, as_actor, jx_expert, django_capture_on_commit_callbacks
):
    table = _fake()
    table.live = lambda obj, action: [("a", {"n": 1}), ("b", {"n": 2})]
    with (
        mock.patch("portal.services.broadcast") as broadcast,
        django_capture_on_commit_callbacks(execute=True),
    ):
        workflow.transition(anomaly, "go", as_actor(jx_expert), workflow=table)
    assert [call.args for call in broadcast.call_args_list] == [("a", {"n": 1}), ("b", {"n": 2})]


def test_transition_each_moves_each_row_audited_and_leaves_the_others(jx, jx_reporter, disciplines, anomaly):
    other = Anomaly.objects.create(
        bureau=jx,
        source=Anomaly.Source.EXPERT,
        kind="instrumental",
        station="九江井",
        observation_item="水位",
        discipline=disciplines["fluid"],
        onset_at=timezone.now(),
        description="已结束",
        state=State.CLOSED,
        reported_by=jx_reporter,
    )

    def lock(actor, obj):  # as the workflows' locks: what is not there is NotFound
        found = Anomaly.objects.select_for_update().filter(pk=getattr(obj, "pk", obj)).first()
        if found is None:
            raise NotFound()
        return found

    system = Workflow(
        name="fake_sweep",
        model=Anomaly,
        noun="anomaly",
        lock=lock,
        transitions={
            "sweep": Transition(frozenset({State.REPORTED}), State.RETURNED, workflow.by_the_system, "swept")
        },
    )
    moved = workflow.transition_each(
        [anomaly.pk, other.pk],
        "sweep",
        "abandoned",
        workflow=system,
        when=lambda row: True,
        description="swept",
    )
    assert moved == [anomaly.pk]
    anomaly.refresh_from_db()
    other.refresh_from_db()
    assert (anomaly.state, anomaly.description, other.state) == (State.RETURNED, "swept", State.CLOSED)
    audit = AuditEvent.objects.get(action="fake_sweep.sweep")
    assert (audit.actor, audit.from_state, audit.to_state, audit.comment) == (
        None,
        "reported",
        "returned",
        "abandoned",
    )
    assert workflow.transition_each([anomaly.pk, 10**9], "sweep", workflow=system) == []  # moved on, gone
