"""The beat job that asks for last month's trend report of every bureau: the 1st of each month
at 08:00 Beijing time (django-celery-beat, editable in the admin; an edited schedule is kept).

Constants are copied here, not imported: a migration must not change when the code does.
"""

from django.db import migrations

NAME = "trends: compile last month's trend reports"
TASK = "trends.compile_monthly_trend_reports"


def register(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="8",
        day_of_week="*",
        day_of_month="1",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": TASK,
            "crontab": schedule,
            "enabled": True,
            "description": "Last month's monthly trend report of every active bureau with a jurisdiction.",
        },
    )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trends", "0003_trend_report_search_text"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
