"""Celery tasks of data sharing: ids in, one service call, idempotent."""

from __future__ import annotations

from celery import shared_task

from .services import pushes, requests, sync


@shared_task(name="sharing.sync", soft_time_limit=1500, time_limit=1800)
def sync_task(*, bureau_id: int | None = None) -> dict[str, int]:
    return sync.datasets_sync(bureau_id=bureau_id)


@shared_task(name="sharing.sweep", soft_time_limit=240, time_limit=300)
def sweep_task() -> dict[str, int]:
    """Every 15 minutes: escalate overdue requests, close expired ones, announce new runs
    and reports of pushed datasets."""
    return {
        "escalated": len(requests.requests_escalate()),
        "expired": len(requests.requests_expire()),
        "announced": len(pushes.pushes_sweep()),
    }


@shared_task(name="sharing.announce_event", soft_time_limit=60, time_limit=90)
def announce_event_task(*, event_id: int) -> int:
    return len(pushes.announce_event(event_id=event_id))


@shared_task(name="sharing.announce_series", soft_time_limit=60, time_limit=90)
def announce_series_task(*, bureau_id: int, channel_ids: list[int]) -> int:
    """New series: the datasets of a new station or item first, then the pushes' notices."""
    sync.datasets_ensure_series(bureau_id=bureau_id, channel_ids=channel_ids)
    return len(pushes.announce_series(bureau_id=bureau_id, channel_ids=channel_ids))


@shared_task(name="sharing.announce_topic_report", soft_time_limit=60, time_limit=90)
def announce_topic_report_task(*, report_id: int) -> int:
    return len(pushes.announce_topic_report(report_id=report_id))
