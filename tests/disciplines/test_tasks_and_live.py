"""Beat jobs (registered idempotently, chasing missing reports once), and live events over
the websocket for the discipline office."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from disciplines.models import BEIJING, MissingReportReminder
from portal.models import Notification


@pytest.mark.django_db
def test_beat_jobs_are_registered_by_the_migration():
    from django_celery_beat.models import PeriodicTask

    from disciplines.tasks import BEAT_JOBS

    tasks = {
        t.name: (t.task, t.crontab.minute, str(t.crontab.timezone))
        for t in PeriodicTask.objects.filter(name__startswith="disciplines:")
    }
    assert tasks == {
        name: (task, cron["minute"], "Asia/Shanghai") for name, (task, cron) in BEAT_JOBS.items()
    }


@pytest.mark.django_db
def test_missing_reports_are_chased_once_with_an_office_summary(
    as_actor, jx_reporter, jx_fluid_unit, jx_expert, jx_seis_expert
):
    from disciplines.services.zero_reports import zero_report_submit
    from disciplines.tasks import zero_reports_remind_missing_task

    today = timezone.localdate()
    zero_report_submit(
        actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=today - timedelta(days=2), status="none"
    )
    now = datetime.combine(today, time(10, 5), tzinfo=BEIJING)
    from disciplines.services.zero_reports import zero_reports_remind_missing

    result = zero_reports_remind_missing(now=now)
    # yesterday (due 10:00 today) and three days ago are missing; two days ago was reported
    assert result == {"missing": 2, "reporters": 1, "office_notices": 1}
    assert sorted(MissingReportReminder.objects.values_list("period", flat=True)) == [
        today - timedelta(days=3),
        today - timedelta(days=1),
    ]
    assert Notification.objects.filter(recipient=jx_reporter, kind="zero_report.missing").count() == 1
    summary = Notification.objects.get(recipient=jx_expert, kind="zero_report.missing_summary")
    assert "2" in summary.title
    assert not Notification.objects.filter(recipient=jx_seis_expert).exists()
    # the job runs every hour: nothing is chased twice
    assert zero_reports_remind_missing_task.delay().get()["missing"] == 0


@pytest.mark.django_db
def test_before_the_deadline_nothing_is_missing(jx_fluid_unit, jx_reporter):
    from disciplines.services.zero_reports import zero_reports_remind_missing

    today = timezone.localdate()
    MissingReportReminder.objects.create(
        bureau=jx_fluid_unit.bureau,
        unit=jx_fluid_unit,
        period=today - timedelta(days=2),
        reminded_at=timezone.now(),
    )
    MissingReportReminder.objects.create(
        bureau=jx_fluid_unit.bureau,
        unit=jx_fluid_unit,
        period=today - timedelta(days=3),
        reminded_at=timezone.now(),
    )
    result = zero_reports_remind_missing(now=datetime.combine(today, time(9, 59), tzinfo=BEIJING))
    assert result["missing"] == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_overdue_job_runs_on_a_real_worker(real_celery, in_state, jx_expert):
    from disciplines.models import Anomaly
    from disciplines.tasks import anomalies_remind_overdue_task

    anomaly = in_state("verifying")
    Anomaly.objects.filter(pk=anomaly.pk).update(verify_due_at=timezone.now() - timedelta(hours=1))
    assert anomalies_remind_overdue_task.delay().get(timeout=60) == 1
    assert Notification.objects.filter(recipient=jx_expert, kind="anomaly.overdue").count() == 1


async def _connect(user, bureau: str | None = None) -> WebsocketCommunicator:
    from importlib import import_module

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from portal.asgi import application

    engine = import_module(settings.SESSION_ENGINE)

    def make_session():
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        return session.session_key

    key = await sync_to_async(make_session)()
    path = "/ws/disciplines/" + (f"?bureau={bureau}" if bureau else "")
    communicator = WebsocketCommunicator(
        application,
        path,
        headers=[
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()),
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
        ],
    )
    return communicator


@pytest.mark.django_db(transaction=True)
async def test_office_sees_reports_and_anomalies_live_and_other_bureau_does_not(
    jx_reporter, jx_fluid_unit, jx_expert, nm_admin, as_actor
):
    from disciplines.services.zero_reports import AnomalyInput, zero_report_submit

    office = await _connect(jx_expert)
    assert (await office.connect())[0]
    other = await _connect(nm_admin)
    assert (await other.connect())[0]
    refused = await _connect(nm_admin, bureau="JX")
    connected, code = await refused.connect()
    assert (connected, code) == (False, 4403)

    actor = await sync_to_async(as_actor)(jx_reporter)
    await sync_to_async(zero_report_submit)(
        actor=actor,
        unit=jx_fluid_unit,
        period=timezone.localdate(),
        status="anomaly",
        anomaly=AnomalyInput("水位", "井水上涌", timezone.now() - timedelta(hours=1)),
    )
    events = [await office.receive_json_from(timeout=5), await office.receive_json_from(timeout=5)]
    kinds = sorted((e["kind"], e.get("action") or e.get("cell")) for e in events)
    assert kinds == [("anomaly", "report"), ("zero_report", "a")]
    assert await other.receive_nothing(timeout=0.5)
    await office.disconnect()
    await other.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_anonymous_socket_is_refused():
    from portal.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/disciplines/", headers=[(b"host", b"localhost"), (b"origin", b"http://localhost")]
    )
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4401)
