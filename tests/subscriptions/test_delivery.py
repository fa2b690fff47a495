"""From an event's arrival to delivery tries: one notice per subscription and version, a row
per try and channel, a failure retried and then told to the person, an update sent as update."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions.models import SubscriptionDelivery, SubscriptionNotice
from subscriptions.services import delivery
from subscriptions.services import notices as notice_services
from subscriptions.services import subscriptions as subscription_services
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)  # 12:00 Beijing


def subscribe(person, **data):
    from portal.tenancy import actor_for

    body = {"region": {"bureau": "JX"}, "min_magnitude": 3.0, "channels": ["in_app", "email"], **data}
    return subscription_services.subscription_create(actor=actor_for(person), data=body)


def test_arrival_makes_one_notice_and_a_sent_try_per_channel(
    jx, jx_forecaster, django_capture_on_commit_callbacks
):
    jx_forecaster.email = "f@example.cn"
    jx_forecaster.save()
    subscription = subscribe(jx_forecaster)
    event = EventFactory(bureau=jx, origin_time=NOON - dt.timedelta(minutes=2), magnitude=4.2)
    with django_capture_on_commit_callbacks(execute=True):
        notices = notice_services.event_match(event_id=event.pk, now=NOON)
    assert [(n.kind, n.decision) for n in notices] == [("new", "send")]
    tries = SubscriptionDelivery.objects.filter(notice__subscription=subscription)
    assert sorted((t.channel, t.attempt, t.outcome) for t in tries) == [
        ("email", 1, "sent"),
        ("in_app", 1, "sent"),
    ]
    assert [m.to for m in mail.outbox] == [["f@example.cn"]]
    # The same version arriving again (another concerned bureau's listener) makes nothing.
    assert notice_services.event_match(event_id=event.pk, now=NOON) == []
    # A new version of an event already sent is sent as an update.
    event.version, event.magnitude = 2, 4.0
    event.save()
    with django_capture_on_commit_callbacks(execute=True):
        update = notice_services.event_match(event_id=event.pk, now=NOON)
    assert [n.kind for n in update] == ["update"]


def test_outside_the_region_or_below_threshold_nothing(jx, nm, jx_forecaster):
    subscribe(jx_forecaster)
    far = EventFactory(bureau=nm, longitude=110.0, latitude=45.0, origin_time=NOON, magnitude=6.0)
    small = EventFactory(bureau=jx, origin_time=NOON, magnitude=2.0)
    assert notice_services.event_match(event_id=far.pk, now=NOON) == []
    assert notice_services.event_match(event_id=small.pk, now=NOON) == []


def test_a_failing_channel_is_retried_then_told_to_the_person(jx, jx_forecaster):
    subscription = subscribe(jx_forecaster, channels=["in_app", "email"])  # no e-mail address
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        (notice,) = notice_services.event_match(event_id=event.pk, now=NOON)
        for _ in range(delivery.MAX_ATTEMPTS + 1):
            # each time the retry is due (an hour on is past every backoff)
            delivery.notice_deliver(notice_id=notice.pk, now=timezone.now() + dt.timedelta(hours=1))
    rows = SubscriptionDelivery.objects.filter(notice=notice, channel="email").order_by("attempt")
    assert [(r.attempt, r.outcome) for r in rows] == [
        (n, "failed") for n in range(1, delivery.MAX_ATTEMPTS + 1)
    ]
    assert rows[0].error == "您的账号没有电子邮件地址。"  # the portal speaks Chinese by default
    # retried with backoff: 60 s, 300 s, 1500 s after tries 1, 2, 3
    countdowns = [c.kwargs.get("countdown") for c in enqueue.call_args_list[1:]]
    assert countdowns == [pytest.approx(s, abs=5) for s in (60, 300, 1500)]
    in_app = SubscriptionDelivery.objects.filter(notice=notice, channel="in_app")
    assert [r.outcome for r in in_app] == ["sent"]
    warning = jx_forecaster.notifications.filter(level="warning").get()
    assert warning.url == "/subscriptions/"
    assert subscription.notices.count() == 1


def test_quiet_hours_hold_the_notice_until_they_end(jx, jx_forecaster):
    subscribe(jx_forecaster, quiet_hours=["11:00", "13:00"])
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        (notice,) = notice_services.event_match(event_id=event.pk, now=NOON)
    assert notice.decision == SubscriptionNotice.Decision.HOLD
    assert notice.deliver_at == dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)
    assert enqueue.call_args.kwargs["at"] == notice.deliver_at
    assert timezone.is_aware(notice.deliver_at)


def test_the_page_lists_ones_own(client, jx_forecaster, jx_chair):
    mine = subscribe(jx_forecaster, name="赣北")
    client.force_login(jx_chair)
    assert client.get(f"/subscriptions/{mine.pk}/").status_code == 404
    client.force_login(jx_forecaster)
    page = client.get("/subscriptions/")
    assert page.status_code == 200
    assert "赣北" in page.content.decode()
    assert client.get(f"/subscriptions/{mine.pk}/").status_code == 200
    assert client.get("/subscriptions/new/").status_code == 200


def test_digest_gathers_the_hours_messages_into_one(jx, jx_forecaster):
    from django_celery_beat.models import PeriodicTask

    subscribe(jx_forecaster, digest=True, channels=["in_app"])
    events = [
        EventFactory(bureau=jx, origin_time=NOON, magnitude=m, longitude=114 + m / 10) for m in (4.0, 4.5)
    ]
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        notices = [n for e in events for n in notice_services.event_match(event_id=e.pk, now=NOON)]
    assert enqueue.call_count == 0
    assert {(n.decision, n.deliver_at) for n in notices} == {("digest", NOON + dt.timedelta(hours=1))}
    assert delivery.sweep(now=NOON + dt.timedelta(minutes=30)) == {"requeued": 0, "digests": 0}
    assert delivery.sweep(now=NOON + dt.timedelta(hours=1)) == {"requeued": 0, "digests": 1}
    (note,) = jx_forecaster.notifications.filter(kind="subscription")
    assert note.title.endswith("有 2 条消息")
    assert SubscriptionDelivery.objects.filter(outcome="sent").count() == 2
    assert delivery.sweep(now=NOON + dt.timedelta(hours=1, minutes=5)) == {"requeued": 0, "digests": 0}
    assert PeriodicTask.objects.get(task="subscriptions.sweep").interval.every == 5


def test_sweep_requeues_a_due_notice_no_try_reached(jx, jx_forecaster):
    subscribe(jx_forecaster)
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue"):
        (notice,) = notice_services.event_match(event_id=event.pk, now=NOON)
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        assert delivery.sweep(now=NOON + dt.timedelta(minutes=2))["requeued"] == 0
        assert delivery.sweep(now=NOON + dt.timedelta(minutes=6))["requeued"] == 1
    enqueue.assert_called_once_with(notice_id=notice.pk)


def test_the_arrival_listener_and_the_topic_report_hook_are_wired(jx, jx_forecaster):
    from catalog import arrival
    from portal import hooks
    from subscriptions import receivers

    assert receivers.on_arrival in arrival._ARRIVAL_LISTENERS
    assert receivers.on_topic_report in hooks._HOOKS["topic_report.ready"]
    assert receivers.on_anomaly_moved in hooks._HOOKS["anomaly.moved"]
    subscribe(jx_forecaster, channels=["in_app"])
    event = EventFactory(bureau=jx, origin_time=timezone.now(), magnitude=4.2)
    receivers.on_arrival(event)
    (notice,) = SubscriptionNotice.objects.filter(event=event)
    assert notice.product == "quick_report"


def test_a_message_delivered_again_after_a_lost_ack_sends_nothing_more(jx, jx_forecaster):
    """The broker hands the same message out again (the worker died before its ack): what was
    sent is not sent again, and a failed channel is not tried before its backoff."""
    jx_forecaster.email = ""  # e-mail fails: its retry is due in a minute
    jx_forecaster.save()
    subscribe(jx_forecaster, channels=["in_app", "email"])
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        (notice,) = notice_services.event_match(event_id=event.pk, now=NOON)
        first = delivery.notice_deliver(notice_id=notice.pk)
        again = delivery.notice_deliver(notice_id=notice.pk)
    assert sorted((t.channel, t.outcome) for t in first) == [("email", "failed"), ("in_app", "sent")]
    assert again == []
    assert enqueue.call_count == 2  # the match's, and one retry: the duplicate enqueued nothing
    assert jx_forecaster.notifications.filter(kind="subscription").count() == 1
    # the retry, when due, tries the e-mail only
    with mock.patch.object(delivery, "notice_enqueue"):
        retry = delivery.notice_deliver(notice_id=notice.pk, now=timezone.now() + dt.timedelta(seconds=61))
    assert [(t.channel, t.attempt) for t in retry] == [("email", 2)]


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_notice_send_it_once(jx, jx_forecaster):
    """Two workers take the same notice at once: the second finds it claimed (a row lock, SKIP
    LOCKED) and leaves it; each channel is sent once and has one try row."""
    import threading

    from django.db import connection

    jx_forecaster.email = "f@example.cn"
    jx_forecaster.save()
    subscribe(jx_forecaster, channels=["in_app", "email"])
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue"):
        (notice,) = notice_services.event_match(event_id=event.pk, now=NOON)
    sending, release = threading.Event(), threading.Event()
    sent: list[tuple[str, str]] = []
    real_send = delivery._send

    def slow_send(n, channel):
        sent.append((threading.current_thread().name, channel))
        sending.set()
        release.wait(10)
        real_send(n, channel)

    results: dict[str, list] = {}

    def worker(name: str) -> None:
        try:
            results[name] = delivery.notice_deliver(notice_id=notice.pk)
        finally:
            connection.close()

    with (
        mock.patch.object(delivery, "_send", side_effect=slow_send),
        mock.patch.object(delivery, "notice_enqueue"),
    ):
        first = threading.Thread(target=worker, args=("first",), name="first")
        first.start()
        assert sending.wait(10)
        second = threading.Thread(target=worker, args=("second",), name="second")
        second.start()
        second.join(10)
        assert not second.is_alive()  # it did not wait for the first: it skipped the notice
        release.set()
        first.join(10)
    assert results["second"] == []
    assert sorted(channel for _name, channel in sent) == ["email", "in_app"]
    assert {name for name, _channel in sent} == {"first"}
    rows = SubscriptionDelivery.objects.filter(notice=notice)
    assert sorted((r.channel, r.attempt, r.outcome) for r in rows) == [
        ("email", 1, "sent"),
        ("in_app", 1, "sent"),
    ]
    assert len(mail.outbox) == 1
    # and a third run after both: nothing more
    with mock.patch.object(delivery, "notice_enqueue"):
        assert delivery.notice_deliver(notice_id=notice.pk) == []
    assert len(mail.outbox) == 1


def test_the_sweep_requeues_a_retry_whose_message_was_lost(jx, jx_forecaster):
    subscribe(jx_forecaster, channels=["in_app", "email"])  # no address: e-mail fails
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue"):
        (notice,) = notice_services.event_match(event_id=event.pk, now=timezone.now())
        delivery.notice_deliver(notice_id=notice.pk)
    now = timezone.now()
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        # the retry is due a minute after the try; lost only 5 minutes after that
        assert delivery.sweep(now=now + dt.timedelta(minutes=5))["requeued"] == 0
        assert delivery.sweep(now=now + dt.timedelta(minutes=7))["requeued"] == 1
    enqueue.assert_called_once_with(notice_id=notice.pk)


def test_a_subscription_turned_off_before_delivery_sends_nothing(jx, jx_forecaster):
    """A notice held through the quiet hours of a subscription the person then turned off is not
    sent when they end, nor picked up by the sweep."""
    from portal.tenancy import actor_for

    subscription = subscribe(jx_forecaster, quiet_hours=["11:00", "13:00"])
    event = EventFactory(bureau=jx, origin_time=NOON, magnitude=4.2)
    with mock.patch.object(delivery, "notice_enqueue"):
        (notice,) = notice_services.event_match(event_id=event.pk, now=NOON)
    subscription_services.subscription_update(
        actor=actor_for(jx_forecaster), subscription=subscription, data={"is_active": False}
    )
    assert delivery.notice_deliver(notice_id=notice.pk, now=notice.deliver_at) == []
    with mock.patch.object(delivery, "notice_enqueue") as enqueue:
        assert delivery.sweep(now=notice.deliver_at + dt.timedelta(minutes=10))["requeued"] == 0
    enqueue.assert_not_called()
    assert jx_forecaster.notifications.count() == 0
