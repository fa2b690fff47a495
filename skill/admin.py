from django.contrib import admin

from .models import SkillScore, SkillSettings


@admin.register(SkillSettings)
class SkillSettingsAdmin(admin.ModelAdmin):
    list_display = ("bureau", "discipline", "magnitude", "radius_km", "days")
    list_filter = ("bureau", "discipline")


@admin.register(SkillScore)
class SkillScoreAdmin(admin.ModelAdmin):
    list_display = (
        "bureau",
        "channel",
        "discipline",
        "alarms",
        "hits",
        "misses",
        "false_alarms",
        "r_score",
        "r0",
    )
    list_filter = ("bureau", "discipline")
    readonly_fields = [f.name for f in SkillScore._meta.fields]
