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
        "post_quake_min_magnitude",
        "post_quake_distance_km",
        "post_quake_min_magnitude_china",
        "post_quake_min_magnitude_abroad",
    ]
    list_select_related = ["bureau"]
