"""Annual danger zones (年度危险区) and their tracking (震情跟踪).

Each year the annual consultation names the zones where a strong quake is judged possible in
the coming year; the bureaus then track them all year (a tracking plan per zone and bureau,
linked anomalies and product runs, quarterly tracking reports, joint consultations of the
tectonic zone), and at year end each zone is scored against the year's quakes.

Visibility (``visible_to``): a zone is its bureau's; once published, a national unit's zone
(CENC's) is read by every bureau (the national frame all work refers to), a province's by the
national units (``PUBLISHED_Q``, as every published row) and by the bureaus it names
responsible (``shared_q``). A draft is never read outside its bureau.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import Bureau
from portal.tenancy import TenantOwned

if TYPE_CHECKING:
    from portal.tenancy import Actor


class ZoneLevel(models.TextChoices):
    """How likely a strong quake is judged in the zone (the Molchan order: high first)."""

    HIGH = "high", _("key danger zone")
    MEDIUM = "medium", _("danger zone")
    LOW = "low", _("zone of attention")


# The probability each level stands for when the zones are ordered for the Molchan diagram
# (products.methods.forecast.forecast_score adds forecasts by decreasing probability).
LEVEL_PROBABILITY = {ZoneLevel.HIGH: 0.8, ZoneLevel.MEDIUM: 0.5, ZoneLevel.LOW: 0.2}


class ZoneOrigin(models.TextChoices):
    ANNUAL_MEETING = "annual_meeting", _("annual consultation's conclusion")
    ENTERED = "entered", _("entered by the bureau")


class DangerZone(TenantOwned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        SCORED = "scored", _("scored")
        WITHDRAWN = "withdrawn", _("withdrawn")

    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    name = models.CharField(_("name"), max_length=120)
    polygon = models.PolygonField(_("polygon"), srid=4326)
    min_magnitude = models.DecimalField(_("minimum magnitude"), max_digits=3, decimal_places=1)
    max_magnitude = models.DecimalField(
        _("maximum magnitude"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    level = models.CharField(_("level"), max_length=8, choices=ZoneLevel.choices, default=ZoneLevel.MEDIUM)
    bureaus = models.ManyToManyField(
        Bureau, blank=True, related_name="+", verbose_name=_("responsible bureaus")
    )
    basis = models.TextField(_("basis"), blank=True, default="")
    origin = models.CharField(
        _("origin"), max_length=16, choices=ZoneOrigin.choices, default=ZoneOrigin.ENTERED
    )
    # the annual consultation whose conclusion named the zone (origin annual_meeting)
    meeting = models.ForeignKey(
        "consultations.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annual consultation"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # year-end score (zones.scoring): hit or not, the quakes that hit, and the year's R-score
    # and Molchan trajectory over all zones of the bureau's year, kept with each zone
    hit = models.BooleanField(_("hit"), null=True, blank=True)
    score = models.JSONField(_("score"), null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    PUBLISHED_Q = Q(status__in=["published", "scored"])

    class Meta:
        ordering = ["-year", "name", "id"]
        verbose_name = _("danger zone")
        verbose_name_plural = _("danger zones")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_magnitude__isnull=True) | Q(max_magnitude__gte=models.F("min_magnitude")),
                name="dangerzone_magnitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("zones:zone-detail", args=[self.pk])

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        if actor.bureau is None:
            return None
        national = Q(bureau__kind__in=[Bureau.Kind.NATIONAL, Bureau.Kind.CENTER])
        return Q(status__in=["published", "scored"]) & (national | Q(bureaus=actor.bureau))

    @property
    def magnitude_text(self) -> str:
        if self.max_magnitude is None:
            return f"M≥{self.min_magnitude}"
        return f"M{self.min_magnitude}–{self.max_magnitude}"


class Frequency(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class TrackingPlan(TenantOwned):
    """A bureau's tracking plan (震情跟踪方案) for one zone: what it watches, who, how often.

    The zone's bureau and each bureau it names responsible may keep one; whoever reads the
    zone reads its plans (they say who watches what, nothing of the data itself)."""

    zone = models.ForeignKey(DangerZone, on_delete=models.CASCADE, related_name="plans")
    items = models.TextField(_("observation items to watch"), blank=True, default="")
    catalogs = models.TextField(_("catalogs"), blank=True, default="")
    channels = models.ManyToManyField(
        "observations.Channel", blank=True, related_name="+", verbose_name=_("channels")
    )
    schedules = models.ManyToManyField(
        "products.ProductSchedule", blank=True, related_name="+", verbose_name=_("scheduled products")
    )
    flows = models.ManyToManyField("flows.Flow", blank=True, related_name="+", verbose_name=_("flows"))
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("who tracks")
    )
    frequency = models.CharField(
        _("how often"), max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    PUBLISHED_Q = Q(zone__status__in=["published", "scored"])

    class Meta:
        ordering = ["bureau__code", "id"]
        verbose_name = _("tracking plan")
        verbose_name_plural = _("tracking plans")
        constraints = [models.UniqueConstraint(fields=["zone", "bureau"], name="trackingplan_one_per_bureau")]

    def __str__(self) -> str:
        return f"{self.zone} · {self.bureau.code}"

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        zones = DangerZone.objects.visible_to(actor).values("pk")
        return Q(zone_id__in=zones)


class ZoneAnomaly(models.Model):
    """An anomaly linked to a zone; read only through the anomaly's own ``visible_to``."""

    zone = models.ForeignKey(DangerZone, on_delete=models.CASCADE, related_name="anomaly_links")
    anomaly = models.ForeignKey("disciplines.Anomaly", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "anomaly"], name="zoneanomaly_unique")]


class ZoneProductRun(models.Model):
    """A product run linked to a zone (its basis or its tracking); read through the run's ``visible_to``."""

    zone = models.ForeignKey(DangerZone, on_delete=models.CASCADE, related_name="run_links")
    run = models.ForeignKey("products.ProductRun", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "run"], name="zoneproductrun_unique")]


class ZoneMeeting(models.Model):
    """A consultation (a joint one of the tectonic zone, 构造片区联合会商) that concerns a zone;
    read through the meeting's ``visible_to``."""

    zone = models.ForeignKey(DangerZone, on_delete=models.CASCADE, related_name="meeting_links")
    meeting = models.ForeignKey("consultations.Meeting", on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "meeting"], name="zonemeeting_unique")]


class TrackingReport(TenantOwned):
    """A bureau's quarterly tracking report (震情跟踪季报) of one zone: drafted by a forecaster,
    submitted, issued by an approver (or returned), rendered by the one renderer."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        ISSUED = "issued", _("issued")

    zone = models.ForeignKey(DangerZone, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("tracking summary"), blank=True, default="")
    judgement = models.TextField(_("judgement"), blank=True, default="")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    PUBLISHED_Q = Q(status="issued")

    class Meta:
        ordering = ["-year", "-quarter", "-id"]
        verbose_name = _("tracking report")
        verbose_name_plural = _("tracking reports")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "bureau", "year", "quarter"], name="trackingreport_one_per_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="trackingreport_quarter"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("zones:report-detail", args=[self.pk])

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        # the zone's own bureau reads the issued reports of the bureaus tracking it
        if actor.bureau is None:
            return None
        return Q(status="issued", zone__bureau_id=actor.bureau_id)
