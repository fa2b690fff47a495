from django.contrib import admin

from .models import AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = [
        "bureau",
        "threshold_magnitude",
        "distance_km",
        "topic_report",
        "pushes",
        "emergency_meeting",
        "post_quake_case",
    ]
    list_select_related = ["bureau"]
