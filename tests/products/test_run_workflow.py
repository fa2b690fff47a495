"""Product runs move through the workflow engine: the table is registered, a person cannot
make the worker's moves, a refused move changes nothing, the right is checked before the
state, every move leaves an audit row with from and to, a failure tells someone."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from portal import workflow
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification
from products.models import ProductRun
from products.services import runs
from tests.factories import ProductRunFactory

pytestmark = pytest.mark.django_db


def _unchanged(run):
    run.refresh_from_db()
    return (run.status, run.updated_at, AuditEvent.objects.count(), Notification.objects.count())


def test_the_run_table_is_registered_with_words():
    assert workflow.workflow_for(ProductRun()) is runs.WORKFLOW
    assert set(runs.WORKFLOW.transitions) == {"start", "succeed", "reuse", "fail", "rerun", "recover"}
    with translation.override("zh-hans"):
        assert workflow.label("product_run.fail") == "运行失败"
        assert workflow.label("product_run.requeue") == "重新排队运行"


@pytest.mark.parametrize("action", ["start", "fail", "recover"])
def test_a_person_cannot_make_the_workers_moves(jx, jx_forecaster, as_actor, action):
    run = ProductRunFactory(bureau=jx, status="running" if action == "recover" else "queued")
    before = _unchanged(run)
    with pytest.raises(PermissionDenied):
        workflow.transition(run, action, as_actor(jx_forecaster), workflow=runs.WORKFLOW)
    assert _unchanged(run) == before


def test_rerun_checks_the_right_before_the_state(jx, jx_viewer, as_actor):
    # a succeeded run is not rerun (it is returned as it is), but a viewer hears 403 first
    run = ProductRunFactory(bureau=jx, status="succeeded")
    before = _unchanged(run)
    with pytest.raises(PermissionDenied):
        runs.run_rerun(actor=as_actor(jx_viewer), run=run)
    assert _unchanged(run) == before


def test_a_wrong_state_names_the_state_and_the_move(jx):
    run = ProductRunFactory(bureau=jx, status="succeeded")
    before = _unchanged(run)
    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        workflow.transition(run, "fail", None, workflow=runs.WORKFLOW)
    assert refused.value.message == (
        "This product run is succeeded; it cannot be run failed (only from: queued, running)."
    )
    assert _unchanged(run) == before


def test_rerun_of_a_failed_run_queues_it_with_an_audit_row(jx, jx_forecaster, as_actor):
    run = ProductRunFactory(bureau=jx, status="failed", error="boom", task_id="old")
    runs.run_rerun(actor=as_actor(jx_forecaster), run=run)
    run.refresh_from_db()
    assert (run.status, run.error, run.task_id != "old") == ("queued", "", True)
    audit = AuditEvent.objects.get(action="product_run.requeue", target_id=str(run.pk))
    assert (audit.actor, audit.from_state, audit.to_state) == (jx_forecaster, "failed", "queued")


def test_a_failed_run_tells_the_person_who_asked(jx, jx_forecaster):
    run = ProductRunFactory(
        bureau=jx, status="running", requested_by=jx_forecaster, started_at=timezone.now()
    )
    runs.run_fail(run=run, message="not enough events")
    audit = AuditEvent.objects.get(action="product_run.fail", target_id=str(run.pk))
    assert (audit.actor, audit.from_state, audit.to_state, audit.comment) == (
        None,
        "running",
        "failed",
        "not enough events",
    )
    note = Notification.objects.get(kind="products.run_failed")
    assert (note.recipient, note.body, note.url) == (
        jx_forecaster,
        "not enough events",
        run.get_absolute_url(),
    )


def test_a_failed_run_nobody_asked_for_tells_the_forecasters(jx, jx_forecaster, jx_viewer):
    run = ProductRunFactory(bureau=jx, status="queued")
    runs.run_fail(run=run, message="the schedule's mainshock is gone")
    assert list(
        Notification.objects.filter(kind="products.run_failed").values_list("recipient", flat=True)
    ) == [jx_forecaster.pk]


def test_failing_a_finished_run_is_left_alone(jx):
    run = ProductRunFactory(bureau=jx, status="succeeded")
    before = _unchanged(run)
    runs.run_fail_by_id(run_id=run.pk, message="late guard")
    assert _unchanged(run) == before


def test_a_schedule_that_no_longer_validates_fails_its_run_and_tells_its_creator(jx, jx_forecaster, as_actor):
    from products.models import ProductSchedule
    from products.services import schedules

    schedule = schedules.schedule_create(
        actor=as_actor(jx_forecaster),
        name="每日 b 值",
        method="bvalue",
        params={"mc": 2.0},
        catalog={"jurisdiction": True, "days": 365},
        minute="0",
        hour="6",
    )
    ProductSchedule.objects.filter(pk=schedule.pk).update(method="retired_method")
    run = schedules.schedule_fire(bureau_id=jx.pk, schedule_id=schedule.pk)
    assert (run.status, run.requested_by) == ("failed", jx_forecaster)
    audit = AuditEvent.objects.get(action="product_run.fail", target_id=str(run.pk))
    assert (audit.from_state, audit.to_state) == ("queued", "failed")
    note = Notification.objects.get(kind="products.run_failed")
    assert (note.recipient, note.body) == (jx_forecaster, run.error)
