"""The clock's reminders: the duty team and the chairs at 20 minutes, again at the deadline with
the bureau's admins told, each once; nothing once the opinion is issued; scheduled with an ETA
when the case opens and swept every minute."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from consultations.models import EmergencySettings
from portal.models import AuditEvent, Notification, NotificationDelivery
from postquake.models import PostQuakeCase, PostQuakeSettings
from postquake.services import case_close, case_open, case_remind, reminders_sweep
from postquake.services.cases import case_mark_issued
from tests.factories import EventFactory

from .test_cases import _receipt

pytestmark = pytest.mark.django_db

MIN = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def english():
    """The messages' words are checked in English (a worker writes in the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def on_duty(jx, make_person):
    person = make_person("jx_duty", (jx, "forecaster"), email="duty@example.org", notify_by_email=True)
    setting = EmergencySettings.objects.create(bureau=jx)
    setting.on_duty.set([person])
    return person


@pytest.fixture
def case(jx):
    event = EventFactory(
        bureau=jx, magnitude=6.1, origin_time=timezone.now() - 3 * MIN, location_name="江西宜春市上高县"
    )
    _receipt(event, event.origin_time + MIN)
    return case_open(event_id=event.pk, bureau_id=jx.pk)


def _titles(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("title", flat=True))


def test_at_20_minutes_the_duty_team_and_the_chairs_are_reminded_once(
    case, on_duty, jx_chair, jx_admin, jx_forecaster
):
    start = case.clock_start
    # before the 20 minutes: nothing
    assert case_remind(case_id=case.pk, now=start + 19 * MIN) is None
    assert Notification.objects.count() == 0
    # at 20 minutes: the people on duty and the chairs, not the admins nor other forecasters
    assert case_remind(case_id=case.pk, now=start + 20 * MIN) == "reminder"
    assert _titles(on_duty) == ["First opinion due in 10 min: M6.1 江西宜春市上高县"]
    assert len(_titles(jx_chair)) == 1
    assert _titles(jx_admin) == []
    assert _titles(jx_forecaster) == []
    note = Notification.objects.get(recipient=on_duty)
    assert note.url == case.get_absolute_url()
    assert note.level == Notification.Level.URGENT
    # the person's chosen channel (e-mail) is queued as well
    assert NotificationDelivery.objects.filter(notification=note, channel="email").count() == 1
    case.refresh_from_db()
    assert case.reminded_at == start + 20 * MIN
    audit = AuditEvent.objects.get(action="postquake_case.remind", target_id=str(case.pk))
    assert sorted(audit.extra["duty"]) == ["jx_chair", "jx_duty"]
    # again: nothing more
    assert case_remind(case_id=case.pk, now=start + 25 * MIN) is None
    assert Notification.objects.count() == 2


def test_at_the_deadline_the_team_is_reminded_again_and_the_admins_told_once(
    case, on_duty, jx_chair, jx_admin
):
    start = case.clock_start
    case_remind(case_id=case.pk, now=start + 20 * MIN)
    assert case_remind(case_id=case.pk, now=case.due_at - dt.timedelta(seconds=1)) is None
    assert case_remind(case_id=case.pk, now=case.due_at) == "deadline"
    assert _titles(on_duty)[-1] == "First opinion overdue: M6.1 江西宜春市上高县"
    assert _titles(jx_admin) == ["Post-quake deadline passed: M6.1 江西宜春市上高县"]
    case.refresh_from_db()
    assert case.deadline_passed_at == case.due_at
    # once: a later call (the ETA task after the sweep) tells nobody again
    assert case_remind(case_id=case.pk, now=case.due_at + 5 * MIN) is None
    assert reminders_sweep(now=case.due_at + 6 * MIN) == {"reminder": 0, "deadline": 0}
    assert len(_titles(jx_admin)) == 1
    assert len(_titles(on_duty)) == 2
    assert AuditEvent.objects.filter(action="postquake_case.deadline_passed").count() == 1


def test_a_case_first_seen_after_its_deadline_gets_only_the_deadline_notice(case, on_duty, jx_admin):
    assert case_remind(case_id=case.pk, now=case.due_at + 2 * MIN) == "deadline"
    case.refresh_from_db()
    assert case.reminded_at is None
    assert len(_titles(on_duty)) == 1
    assert len(_titles(jx_admin)) == 1


def test_nothing_is_sent_once_the_opinion_is_issued(case, on_duty, jx_chair, jx_admin, as_actor):
    # the first opinion issued (opinions.opinion_became_issued moves the case so)
    case_mark_issued(actor=as_actor(jx_chair), case=case, issued_at=timezone.now())
    assert case_remind(case_id=case.pk, now=case.clock_start + 20 * MIN) is None
    assert case_remind(case_id=case.pk, now=case.due_at) is None
    assert reminders_sweep(now=case.due_at + MIN) == {"reminder": 0, "deadline": 0}
    assert Notification.objects.filter(kind="postquake_reminder").count() == 0


def test_nothing_is_sent_for_a_closed_case(case, on_duty, jx_chair, as_actor):
    case_close(actor=as_actor(jx_chair), case=case)
    assert case_remind(case_id=case.pk, now=case.due_at) is None
    assert Notification.objects.filter(kind="postquake_reminder").count() == 0


def test_the_sweep_sends_what_is_due_across_bureaus(case, on_duty, jx_admin, nm, nm_admin):
    other_event = EventFactory(bureau=nm, magnitude=5.5, origin_time=timezone.now() - 2 * MIN)
    other = case_open(event_id=other_event.pk, bureau_id=nm.pk)
    now = max(case.due_at, other.due_at)
    assert reminders_sweep(now=now) == {"reminder": 0, "deadline": 2}
    assert len(_titles(jx_admin)) == 1
    assert len(_titles(nm_admin)) == 1
    assert reminders_sweep(now=now + MIN) == {"reminder": 0, "deadline": 0}


def test_the_sweep_leaves_alone_a_deadline_passed_days_ago(case, on_duty, jx_admin):
    assert reminders_sweep(now=case.due_at + dt.timedelta(days=3)) == {"reminder": 0, "deadline": 0}
    assert Notification.objects.count() == 0


def test_the_bureaus_reminder_delay_is_used_and_none_comes_after_the_deadline(jx, on_duty):
    PostQuakeSettings.objects.create(bureau=jx, due_minutes=15, remind_minutes=20)
    event = EventFactory(bureau=jx, magnitude=5.4, origin_time=timezone.now() - MIN)
    case = case_open(event_id=event.pk, bureau_id=jx.pk)
    # the 20-minute reminder would come after the 15-minute deadline: only the deadline one
    assert case_remind(case_id=case.pk, now=case.clock_start + 14 * MIN) is None
    assert case_remind(case_id=case.pk, now=case.due_at) == "deadline"


def test_without_people_on_duty_or_chairs_the_forecasters_are_reminded(case, jx_forecaster):
    assert case_remind(case_id=case.pk, now=case.clock_start + 20 * MIN) == "reminder"
    assert len(_titles(jx_forecaster)) == 1


def test_opening_a_case_schedules_both_reminders_with_an_eta(
    jx, monkeypatch, django_capture_on_commit_callbacks
):
    from postquake import tasks

    calls = []
    monkeypatch.setattr(tasks.remind_case_task, "apply_async", lambda **kw: calls.append(kw))
    monkeypatch.setattr(tasks.draft_case_task, "delay", lambda **kw: None)
    event = EventFactory(bureau=jx, magnitude=6.0, origin_time=timezone.now() - MIN)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(event_id=event.pk, bureau_id=jx.pk)
    assert calls == [
        {"kwargs": {"case_id": case.pk}, "eta": case.clock_start + 20 * MIN},
        {"kwargs": {"case_id": case.pk}, "eta": case.due_at},
    ]


def test_the_sweep_runs_every_minute_from_the_beat_schedule():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("interval").get(task="postquake.reminders_sweep")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)


def test_the_reminder_task_and_the_sweep_task_call_the_service(case, on_duty):
    from postquake.tasks import remind_case_task, reminders_sweep_task

    assert remind_case_task(case_id=case.pk) is None  # not due yet (now is minutes after the start)
    assert reminders_sweep_task() == {"reminder": 0, "deadline": 0}
    PostQuakeCase.objects.filter(pk=case.pk).update(
        clock_start=timezone.now() - 21 * MIN, due_at=timezone.now() + 9 * MIN
    )
    assert remind_case_task(case_id=case.pk) == "reminder"


def test_one_cases_failure_does_not_hold_back_the_others(case, jx_admin, nm, nm_admin, monkeypatch):
    from postquake.services import reminders

    other = case_open(
        event_id=EventFactory(bureau=nm, magnitude=5.5, origin_time=timezone.now()).pk, bureau_id=nm.pk
    )
    real = reminders._send_deadline

    def flaky(c, now):
        if c.pk == case.pk:
            raise RuntimeError("mail server down")
        return real(c, now)

    monkeypatch.setattr(reminders, "_send_deadline", flaky)
    now = max(case.due_at, other.due_at)
    assert reminders_sweep(now=now) == {"reminder": 0, "deadline": 1}
    case.refresh_from_db()
    assert case.deadline_passed_at is None  # rolled back: the next sweep tries again
    assert len(_titles(nm_admin)) == 1
    monkeypatch.setattr(reminders, "_send_deadline", real)
    assert reminders_sweep(now=now + MIN) == {"reminder": 0, "deadline": 1}
    assert len(_titles(jx_admin)) == 1
