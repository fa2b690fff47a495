from django.db import migrations

# Copied, not imported: a migration must not change when the code does.
BEAT_NAME = "recognition: run rules on new data"
BEAT_TASK = "recognition.run_rules_on_new_data"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.update_or_create(
        name=BEAT_NAME, defaults={"task": BEAT_TASK, "interval": every, "crontab": None, "enabled": True}
    )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=BEAT_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0001_rules_and_detections"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
