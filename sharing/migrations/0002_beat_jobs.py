"""Register the periodic jobs of data sharing with django-celery-beat (idempotent): every 15
minutes the sweep (escalate overdue requests, close expired ones, announce new runs and
reports of pushed datasets); each night at 02:40 Beijing time the sync of datasets with what
the bureaus hold.

Constants are copied here, not imported: a migration must not change when the code does.
"""

from django.db import migrations

SWEEP = ("sharing: overdue requests, expiries and push announcements", "sharing.sweep")
SYNC = ("sharing: datasets from what bureaus hold (nightly 02:40)", "sharing.sync")


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP[0], defaults={"task": SWEEP[1], "interval": every, "crontab": None, "enabled": True}
    )
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="40", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=SYNC[0], defaults={"task": SYNC[1], "crontab": nightly, "interval": None, "enabled": True}
    )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[SWEEP[0], SYNC[0]]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0001_sharing"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
