from django.contrib import admin

from portal.models import Discipline

from .models import (
    Anomaly,
    AssessmentRating,
    BureauAnomalySettings,
    ReportingUnit,
    VerificationReport,
    ZeroReport,
)


@admin.register(Discipline)
class DisciplineAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]


@admin.register(ReportingUnit)
class ReportingUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "bureau", "discipline", "kind", "schedule", "deadline_time", "is_active"]
    list_filter = ["bureau", "discipline", "kind", "schedule", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["reporters"]


@admin.register(ZeroReport)
class ZeroReportAdmin(admin.ModelAdmin):
    list_display = ["unit", "period", "status", "is_late", "revision", "reported_by", "submitted_at"]
    list_filter = ["bureau", "status", "is_late"]
    date_hierarchy = "period"
    # reports change only through the services (history, lateness, audit)
    readonly_fields = [f.name for f in ZeroReport._meta.fields]


@admin.register(Anomaly)
class AnomalyAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "bureau",
        "discipline",
        "station",
        "observation_item",
        "state",
        "assignee",
        "onset_at",
    ]
    list_filter = ["bureau", "discipline", "state", "source"]
    # the state moves only through the transition services, which write the audit trail
    readonly_fields = [f.name for f in Anomaly._meta.fields]


@admin.register(VerificationReport)
class VerificationReportAdmin(admin.ModelAdmin):
    list_display = ["anomaly", "conclusion", "verifier", "submitted_at"]
    readonly_fields = [f.name for f in VerificationReport._meta.fields]


@admin.register(AssessmentRating)
class AssessmentRatingAdmin(admin.ModelAdmin):
    list_display = ["anomaly", "expert", "credibility", "relation", "recommendation"]
    readonly_fields = [f.name for f in AssessmentRating._meta.fields]


@admin.register(BureauAnomalySettings)
class BureauAnomalySettingsAdmin(admin.ModelAdmin):
    list_display = ["bureau", "verification_hours", "assessment_hours"]
