"""The clock's reminders (issue 15): when each was sent, the bureau's reminder delay, and the
beat job that sends what is due every minute (the safety net of the reminders scheduled with
an ETA when a case opens).

Constants are copied here, not imported: a migration must not change when the code does.
"""

from django.db import migrations, models

NAME = "postquake: reminders of open cases"
TASK = "postquake.reminders_sweep"


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
        ('postquake', '0003_reevaluate_beat'),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name='postquakecase',
            name='deadline_passed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='deadline passed, told at'),
        ),
        migrations.AddField(
            model_name='postquakecase',
            name='reminded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='reminded at'),
        ),
        migrations.AddField(
            model_name='postquakesettings',
            name='remind_minutes',
            field=models.PositiveIntegerField(default=20, verbose_name='reminder after (minutes)'),
        ),
        migrations.RunPython(register, unregister),
    ]
