"""Read-mostly admin for system administrators; workflow states change only through the
services (the pages and the API), so status fields are read-only here."""

from django.contrib import admin

from .models import ConsultationReport, DisciplineOpinion, EmergencySettings, Meeting, MeetingMaterial


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "bureau", "kind", "status", "starts_at", "chair"]
    list_filter = ["bureau", "kind", "status"]
    search_fields = ["title", "agenda"]
    readonly_fields = ["status", "last_seq", "trigger_event_id", "closed_at"]
    filter_horizontal = ["participants", "joint_bureaus"]


@admin.register(MeetingMaterial)
class MeetingMaterialAdmin(admin.ModelAdmin):
    list_display = ["title", "meeting", "kind", "object_id"]
    list_filter = ["kind"]


@admin.register(DisciplineOpinion)
class DisciplineOpinionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "discipline", "bureau", "author", "revision"]
    list_filter = ["discipline", "bureau"]
    readonly_fields = ["revision"]


@admin.register(ConsultationReport)
class ConsultationReportAdmin(admin.ModelAdmin):
    list_display = ["title", "bureau", "version", "status", "signed_off_at", "issued_at"]
    list_filter = ["bureau", "status"]
    readonly_fields = [
        "status",
        "content",
        "content_sha256",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "signed_off_by",
        "signed_off_at",
        "issued_at",
        "archived_at",
    ]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # a signed report never changes, not even here
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)


@admin.register(EmergencySettings)
class EmergencySettingsAdmin(admin.ModelAdmin):
    list_display = ["bureau", "emergency_magnitude"]
    filter_horizontal = ["on_duty"]
