"""Register the periodic jobs of the disciplines app with django-celery-beat (idempotent).

Constants are copied here, not imported: a migration must not change when the code does.
"""

from django.db import migrations

JOBS = {
    "disciplines: chase missing zero-reports (hourly at :05)": (
        "disciplines.zero_reports_remind_missing",
        {"minute": "5", "hour": "*"},
    ),
    "disciplines: remind overdue anomaly verifications (hourly at :20)": (
        "disciplines.anomalies_remind_overdue",
        {"minute": "20", "hour": "*"},
    ),
}


def register(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, cron) in JOBS.items():
        schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=cron["minute"],
            hour=cron["hour"],
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": schedule, "enabled": True}
        )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=list(JOBS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("disciplines", "0002_zero_reports_anomalies"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
