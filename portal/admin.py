from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.gis.db import models as gis_models

from .models import AuditEvent, Bureau, Membership, Notification, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["bureau", "role", "discipline", "granted_by", "revoked_at"]
    readonly_fields = ["granted_by"]
    autocomplete_fields = ["bureau"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "email", "is_active", "is_superuser"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("ISPEC", {"fields": ("display_name", "phone")}))


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    # The jurisdiction as text (WKT or GeoJSON), not GeoDjango's map widget: that widget runs
    # an inline script and loads OpenLayers from a CDN, which the Content-Security-Policy
    # (and an offline network) refuse. The portal's own bureau form draws the map.
    formfield_overrides = {gis_models.MultiPolygonField: {"widget": forms.Textarea(attrs={"rows": 4})}}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "bureau", "role", "discipline", "revoked_at"]
    list_filter = ["bureau", "role", "discipline"]
    search_fields = ["user__username", "user__display_name"]
    autocomplete_fields = ["bureau"]
    raw_id_fields = ["user", "granted_by", "revoked_by"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "created_at",
        "actor",
        "bureau",
        "action",
        "target_type",
        "target_id",
        "from_state",
        "to_state",
    ]
    list_filter = ["action", "bureau"]
    search_fields = ["target_id", "comment"]

    # The audit trail is append-only, in the admin too (the database refuses anything else).
    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "bureau", "level", "title", "read_at"]
    list_filter = ["level", "bureau"]
    raw_id_fields = ["recipient"]
