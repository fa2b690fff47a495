"""Register the post-quake re-evaluation sweep with django-celery-beat (idempotent): every
minute the open cases' due times and new aftershocks are found and re-evaluated.

Constants are copied here, not imported: a migration must not change when the code does.
"""

from django.db import migrations

NAME = "postquake: re-evaluate open cases"
TASK = "postquake.reevaluate_sweep"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=NAME, defaults={"task": TASK, "interval": schedule, "crontab": None, "enabled": True}
    )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("postquake", "0002_opinions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
