"""Periodic jobs of the disciplines app (registered with django-celery-beat, see BEAT_JOBS)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.utils import translation

from .services.overdue import anomalies_remind_overdue
from .services.zero_reports import zero_reports_remind_missing

# name -> (task, crontab fields in Beijing time); created by migration 0003 and demo.seed.
BEAT_JOBS: dict[str, tuple[str, dict[str, str]]] = {
    "disciplines: chase missing zero-reports (hourly at :05)": (
        "disciplines.zero_reports_remind_missing",
        {"minute": "5", "hour": "*"},
    ),
    "disciplines: remind overdue anomaly verifications (hourly at :20)": (
        "disciplines.anomalies_remind_overdue",
        {"minute": "20", "hour": "*"},
    ),
}


@shared_task(name="disciplines.zero_reports_remind_missing", time_limit=300, soft_time_limit=240)
def zero_reports_remind_missing_task() -> dict[str, Any]:
    """Idempotent: each missing unit-period is chased once."""
    with translation.override(settings.LANGUAGE_CODE):  # reminders are stored in the portal's language
        return zero_reports_remind_missing()


@shared_task(name="disciplines.anomalies_remind_overdue", time_limit=300, soft_time_limit=240)
def anomalies_remind_overdue_task() -> int:
    """Idempotent: each overdue verification is reminded once per deadline."""
    with translation.override(settings.LANGUAGE_CODE):
        return anomalies_remind_overdue()
