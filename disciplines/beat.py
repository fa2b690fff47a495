"""Registration of the periodic jobs with django-celery-beat (idempotent; migration 0003 does the same)."""

from __future__ import annotations

from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .tasks import BEAT_JOBS


def register_beat_jobs() -> list[PeriodicTask]:
    rows = []
    for name, (task, cron) in BEAT_JOBS.items():
        schedule, _created = CrontabSchedule.objects.get_or_create(
            minute=cron["minute"],
            hour=cron["hour"],
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        row, _created = PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "enabled": True}
        )
        rows.append(row)
    return rows
