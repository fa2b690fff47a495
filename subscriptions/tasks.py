"""Celery tasks of subscriptions: ids in, one service call, idempotent."""

from __future__ import annotations

from celery import shared_task

from .services import delivery, notices


@shared_task(name="subscriptions.match_event", soft_time_limit=60, time_limit=90)
def match_event_task(*, event_id: int) -> int:
    return len(notices.event_match(event_id=event_id))


@shared_task(name="subscriptions.match_topic_report", soft_time_limit=60, time_limit=90)
def match_topic_report_task(*, report_id: int, event_id: int) -> int:
    return len(notices.topic_report_match(report_id=report_id, event_id=event_id))


@shared_task(name="subscriptions.match_anomaly", soft_time_limit=60, time_limit=90)
def match_anomaly_task(*, anomaly_id: int, bureau_id: int, action: str) -> int:
    return len(notices.anomaly_match(anomaly_id=anomaly_id, bureau_id=bureau_id, action=action))


@shared_task(name="subscriptions.deliver_notice", soft_time_limit=60, time_limit=90)
def deliver_notice_task(*, notice_id: int) -> int:
    return len(delivery.notice_deliver(notice_id=notice_id))


@shared_task(name="subscriptions.sweep", soft_time_limit=240, time_limit=300)
def sweep_task() -> dict[str, int]:
    return delivery.sweep()
