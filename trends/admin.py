"""Read-mostly admin for system administrators: states change only through the services.
The beat schedule of the monthly compilation ("trends: compile last month's trend reports")
is edited under django-celery-beat's Periodic tasks."""

from django.contrib import admin

from .models import TrendFigure, TrendReport, TrendSection


class TrendSectionInline(admin.TabularInline):
    model = TrendSection
    extra = 0
    fields = ["key", "position", "compiled_at", "n_events", "review_comment"]
    readonly_fields = ["key", "position", "compiled_at", "n_events", "review_comment"]
    can_delete = False


@admin.register(TrendReport)
class TrendReportAdmin(admin.ModelAdmin):
    list_display = ["title", "bureau", "month", "version", "status", "compile_status", "compiled_at"]
    list_filter = ["bureau", "status", "compile_status"]
    search_fields = ["title", "search_text"]
    readonly_fields = [
        "bureau",
        "month",
        "version",
        "corrects",
        "status",
        "compile_status",
        "compile_progress",
        "compile_note",
        "compile_task_id",
        "compile_started_at",
        "compiled_at",
        "content_sha256",
        "created_by",
        "submitted_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "signed_off_by",
        "signed_off_at",
        "issued_at",
        "archived_at",
    ]
    inlines = [TrendSectionInline]


@admin.register(TrendFigure)
class TrendFigureAdmin(admin.ModelAdmin):
    list_display = ["section", "name", "title", "created_at"]
    exclude = ["png"]
