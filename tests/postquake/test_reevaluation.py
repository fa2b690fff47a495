"""Re-evaluation of a post-quake case: at the set hours after the clock start and after each
aftershock of M >= the threshold inside the sequence zone, once per trigger; the update is
proposed with what changed against the last issued opinion; closing ends it."""

from __future__ import annotations

import datetime as dt

import pytest

from postquake.models import (
    OpinionKind,
    OpinionState,
    PostQuakeOpinion,
    PostQuakeReevaluation,
    PostQuakeSettings,
    ReevaluationOutcome,
)
from postquake.services import case_close, case_reevaluate, opinion_edit, opinion_transition, reevaluate_sweep

from .conftest import aftershock

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def issued_case(drafted_case, jx_chair, as_actor):
    """The drafted case with its first opinion issued by the chair."""
    opinion_transition(actor=as_actor(jx_chair), opinion=drafted_case.opinions.get(number=1), action="issue")
    drafted_case.refresh_from_db()
    return drafted_case


def _keys(case):
    return sorted(PostQuakeReevaluation.objects.filter(case=case).values_list("key", flat=True))


def test_the_hours_fire_when_they_come_and_once(issued_case):
    start = issued_case.clock_start
    assert case_reevaluate(case_id=issued_case.pk, now=start + 2 * HOUR - dt.timedelta(seconds=1)) == []
    fired = case_reevaluate(case_id=issued_case.pk, now=start + 2 * HOUR)
    assert [(r.key, r.outcome) for r in fired] == [("2h", ReevaluationOutcome.PROPOSED)]
    update = PostQuakeOpinion.objects.get(case=issued_case, number=2)
    assert (update.kind, update.trigger, update.state) == (OpinionKind.UPDATE, "2h", OpinionState.DRAFT)
    assert update.changes["against"] == 1
    assert fired[0].opinion == update
    # once: the same time again fires nothing
    assert case_reevaluate(case_id=issued_case.pk, now=start + 3 * HOUR) == []
    # 24 h later the proposal (still not issued) is recomputed in place, not duplicated
    again = case_reevaluate(case_id=issued_case.pk, now=start + 24 * HOUR)
    assert [(r.key, r.outcome) for r in again] == [("24h", ReevaluationOutcome.REFRESHED)]
    assert PostQuakeOpinion.objects.filter(case=issued_case).count() == 2
    update.refresh_from_db()
    assert update.recomputed_at == start + 24 * HOUR
    issued_case.refresh_from_db()
    assert issued_case.draft["computed_at"] == (start + 24 * HOUR).isoformat()  # the case keeps the latest


def test_the_bureaus_hours_are_its_own(issued_case, jx):
    PostQuakeSettings.objects.create(bureau=jx, reevaluate_hours=[6])
    assert case_reevaluate(case_id=issued_case.pk, now=issued_case.clock_start + 5 * HOUR) == []
    assert [
        r.key for r in case_reevaluate(case_id=issued_case.pk, now=issued_case.clock_start + 6 * HOUR)
    ] == ["6h"]


def test_an_m4_aftershock_in_the_zone_fires_and_not_outside_or_below(issued_case, jx, mainshock):
    now = issued_case.clock_start + HOUR  # before the first time trigger
    aftershock(jx, mainshock, magnitude=3.9, km_north=2.0)  # below the threshold
    aftershock(jx, mainshock, magnitude=4.5, km_north=25.0)  # outside the 10 km zone
    assert case_reevaluate(case_id=issued_case.pk, now=now) == []
    inside = aftershock(jx, mainshock, magnitude=4.0, km_north=3.0, public_id="pq-as-1")
    fired = case_reevaluate(case_id=issued_case.pk, now=now)
    assert [(r.key, r.label, r.event_id) for r in fired] == [
        ("aftershock pq-as-1", "aftershock pq-as-1 M4.0", inside.pk)
    ]
    update = PostQuakeOpinion.objects.get(case=issued_case, number=2)
    assert update.trigger == "aftershock pq-as-1 M4.0"
    # what changed: two aftershocks in the zone now (the M3.9 and the M4.0), the largest M4.0
    assert update.changes["aftershocks"] == {"from": 0, "to": 2}
    assert update.changes["largest_aftershock"]["to"] == {"public_id": "pq-as-1", "magnitude": 4.0}
    assert update.changes["changed"] is True
    # once per aftershock
    assert case_reevaluate(case_id=issued_case.pk, now=now + dt.timedelta(minutes=5)) == []


def test_the_bureaus_threshold_decides(issued_case, jx, mainshock):
    PostQuakeSettings.objects.create(bureau=jx, reevaluate_magnitude=4.5)
    aftershock(jx, mainshock, magnitude=4.3)
    assert case_reevaluate(case_id=issued_case.pk, now=issued_case.clock_start + HOUR) == []


def test_a_revised_magnitude_that_reaches_the_threshold_fires_once(issued_case, jx, mainshock):
    event = aftershock(jx, mainshock, magnitude=3.8, public_id="pq-rev")
    now = issued_case.clock_start + HOUR
    assert case_reevaluate(case_id=issued_case.pk, now=now) == []
    type(event).objects.filter(pk=event.pk).update(magnitude=4.1)
    assert [r.key for r in case_reevaluate(case_id=issued_case.pk, now=now)] == ["aftershock pq-rev"]
    type(event).objects.filter(pk=event.pk).update(magnitude=4.4)
    assert case_reevaluate(case_id=issued_case.pk, now=now) == []


def test_aftershocks_already_in_the_first_draft_do_not_fire(jx, mainshock):
    from postquake.services import case_open, draft_build

    aftershock(jx, mainshock, magnitude=4.6, public_id="pq-early")
    case = draft_build(case_id=case_open(event_id=mainshock.pk, bureau_id=jx.pk).pk)
    row = PostQuakeReevaluation.objects.get(case=case)
    assert (row.key, row.outcome) == ("aftershock pq-early", ReevaluationOutcome.IN_FIRST_DRAFT)
    assert case_reevaluate(case_id=case.pk, now=case.clock_start + HOUR) == []


def test_before_the_first_draft_nothing_fires(jx, mainshock):
    from postquake.services import case_open

    case = case_open(event_id=mainshock.pk, bureau_id=jx.pk)  # its draft task never ran
    aftershock(jx, mainshock, magnitude=5.0)
    assert case_reevaluate(case_id=case.pk, now=case.clock_start + 3 * HOUR) == []
    assert _keys(case) == []


def test_a_trigger_while_the_first_is_unissued_recomputes_it(drafted_case, jx, mainshock, jx_chair, as_actor):
    opinion_edit(actor=as_actor(jx_chair), opinion=drafted_case.opinions.get(number=1), data={"text": "初判"})
    aftershock(jx, mainshock, magnitude=4.8)
    fired = case_reevaluate(case_id=drafted_case.pk, now=drafted_case.clock_start + HOUR)
    assert [r.outcome for r in fired] == [ReevaluationOutcome.REFRESHED]
    first = drafted_case.opinions.get(number=1)
    assert first.text == "初判"  # the chair's words stand
    assert first.snapshot["sequence"]["count"] == 1
    assert first.recomputed_at is not None
    assert PostQuakeOpinion.objects.filter(case=drafted_case).count() == 1


def test_while_an_opinion_awaits_sign_off_the_update_waits_for_its_issue(
    drafted_case, jx, mainshock, jx_chair, jx_approver, as_actor
):
    PostQuakeSettings.objects.create(bureau=jx, signoff_required=True)
    first = opinion_transition(
        actor=as_actor(jx_chair), opinion=drafted_case.opinions.get(number=1), action="submit"
    )
    aftershock(jx, mainshock, magnitude=4.2, public_id="pq-wait")
    fired = case_reevaluate(case_id=drafted_case.pk, now=drafted_case.clock_start + HOUR)
    assert [(r.outcome, r.opinion) for r in fired] == [(ReevaluationOutcome.WAITING, None)]
    first.refresh_from_db()
    assert first.state == OpinionState.SUBMITTED  # left as the approver sees it
    opinion_transition(actor=as_actor(jx_approver), opinion=first, action="sign_off")
    update = PostQuakeOpinion.objects.get(case=drafted_case, number=2)
    assert (update.kind, update.trigger, update.state) == (
        OpinionKind.UPDATE,
        "aftershock pq-wait M4.2",
        "draft",
    )
    assert update.changes["aftershocks"] == {"from": 0, "to": 1}
    assert PostQuakeReevaluation.objects.get(case=drafted_case).opinion == update


def test_closing_the_case_ends_the_reevaluations(issued_case, jx, mainshock, jx_chair, as_actor):
    case_close(actor=as_actor(jx_chair), case=issued_case)
    aftershock(jx, mainshock, magnitude=5.2)
    assert case_reevaluate(case_id=issued_case.pk, now=issued_case.clock_start + 80 * HOUR) == []
    assert reevaluate_sweep(now=issued_case.clock_start + 80 * HOUR) == {}


def test_the_sweep_fires_due_triggers_together_once_and_tells_the_duty_team(
    issued_case, jx, mainshock, jx_chair, make_person
):
    from consultations.models import EmergencySettings
    from portal.models import Notification

    duty = make_person("jx_duty", (jx, "forecaster"))
    EmergencySettings.objects.create(bureau=jx).on_duty.set([duty])
    aftershock(jx, mainshock, magnitude=4.4, public_id="pq-sweep")
    now = issued_case.clock_start + 25 * HOUR
    assert reevaluate_sweep(now=now) == {issued_case.pk: ["2h", "24h", "aftershock pq-sweep"]}
    update = PostQuakeOpinion.objects.get(case=issued_case, number=2)
    assert update.trigger == "2h; 24h; aftershock pq-sweep M4.4"
    for person in (duty, jx_chair):
        told = Notification.objects.filter(recipient=person, title__contains="更新意见").get()
        assert told.url == issued_case.get_absolute_url()
        assert "序列区内余震：0 → 1" in told.body
    assert reevaluate_sweep(now=now) == {}


def test_the_arrival_of_an_aftershock_reevaluates_at_once(
    issued_case, jx, mainshock, django_capture_on_commit_callbacks
):
    from catalog import arrival
    from catalog.models import AlertRule

    # The M4.1 concerns JX through its special-topic report's threshold (below the post-quake
    # one, so no case of its own): listeners hear of concerned quakes only.
    AlertRule.objects.create(
        bureau=jx, threshold_magnitude=4.0, topic_report=True, emergency_meeting=False, post_quake_case=True
    )
    event = aftershock(jx, mainshock, magnitude=4.1, public_id="pq-arrival")
    with django_capture_on_commit_callbacks(execute=True):
        arrival.decide(event_id=event.pk)  # the quake concerns JX: its listener runs the sweep
    assert _keys(issued_case) == ["aftershock pq-arrival"]


def test_the_sweep_task_is_on_the_beat_every_minute():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="postquake.reevaluate_sweep")
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "minutes")


def test_a_case_whose_draft_task_was_lost_is_drafted_by_the_sweep(jx, mainshock):
    from postquake.services import case_open

    case = case_open(event_id=mainshock.pk, bureau_id=jx.pk)
    reevaluate_sweep(now=case.opened_at + dt.timedelta(minutes=4))
    assert not PostQuakeOpinion.objects.filter(case=case).exists()
    reevaluate_sweep(now=case.opened_at + dt.timedelta(minutes=6))
    assert PostQuakeOpinion.objects.get(case=case).number == 1
