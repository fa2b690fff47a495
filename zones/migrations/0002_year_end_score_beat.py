"""Register the year-end danger-zone score with django-celery-beat (idempotent): on 2 and 15
January at 06:00 Beijing time every bureau's live zones of the year just ended are scored
(the second run catches late catalog revisions). Constants copied, not imported."""

from django.db import migrations

NAME = "zones: score the year's danger zones"
TASK = "zones.score_year"


def register(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="6",
        day_of_week="*",
        day_of_month="2,15",
        month_of_year="1",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(name=NAME, defaults={"task": TASK, "crontab": schedule, "enabled": True})


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("zones", "0001_danger_zones"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
