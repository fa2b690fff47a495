"""Special-topic reports of a quake area (震区专题信息), what they are built from and their push.

* :class:`Town` is reference data (the GeoNames gazetteer), read by everyone.
* :class:`GisLayer` / :class:`GisFeature` are a bureau's own layers (schools,
  hospitals, reservoirs, faults ...), uploaded as GeoJSON.
* :class:`TopicReportSettings` says what a bureau's report holds and where it goes.
* :class:`TopicReport` is one build of the report for one bureau and one version
  of an event; a new version of the event (formal after automatic) gets a new
  report and the old one stays.
* :class:`PushAttempt` is one channel's delivery of a ready report (in-app,
  e-mail, WeChat Work), with its attempts and last error.

Visibility: a topic report belongs to the bureau it was built for; national
units and centres read it once it is ready (``PUBLISHED_Q``). GIS layers and
settings are never read outside their bureau.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.models import TimeStamped
from portal.tenancy import TenantOwned


class Town(TimeStamped):
    """A populated place from the GeoNames gazetteer (CC BY 4.0), loaded by ``load_towns``."""

    geonameid = models.PositiveIntegerField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)
    country_code = models.CharField(_("country"), max_length=2)
    admin1_code = models.CharField(max_length=20, blank=True)
    admin1_name = models.CharField(_("province"), max_length=100, blank=True)
    # None: GeoNames does not know the population (it stores 0 for that).
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # geography: ST_DWithin in metres on the GiST index, no degree approximations.
    location = models.PointField(_("location"), srid=4326, geography=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("town")
        verbose_name_plural = _("towns")

    def __str__(self) -> str:
        return self.name_zh or self.name

    def display_name(self, language: str | None) -> str:
        if (language or "").startswith("en"):
            return self.name
        return self.name_zh or self.name


class GisLayerKind(models.TextChoices):
    SCHOOL = "school", _("schools")
    HOSPITAL = "hospital", _("hospitals")
    RESERVOIR = "reservoir", _("reservoirs")
    FAULT = "fault", _("faults")
    ROAD = "road", _("roads")
    SHELTER = "shelter", _("emergency shelters")
    HAZARDOUS = "hazardous", _("hazardous sites")
    OTHER = "other", _("other")


class GisLayer(TenantOwned):
    """One GeoJSON layer a bureau uploaded; its features are :class:`GisFeature` rows."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=GisLayerKind.choices)
    description = models.TextField(_("description"), blank=True)
    source_filename = models.CharField(_("file"), max_length=200, blank=True)
    feature_count = models.PositiveIntegerField(_("features"), default=0)
    uploaded_by = models.ForeignKey("portal.User", on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("GIS layer")
        verbose_name_plural = _("GIS layers")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="gislayer_unique_name_per_bureau"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reports:layer-detail", args=[self.pk])


class GisFeature(TenantOwned):
    """A feature of a layer; carries the bureau too so radius queries filter one table."""

    layer = models.ForeignKey(GisLayer, on_delete=models.CASCADE, related_name="features")
    name = models.CharField(_("name"), max_length=200, blank=True)
    geometry = models.GeometryField(_("geometry"), srid=4326)
    properties = models.JSONField(_("properties"), default=dict, blank=True)

    class Meta:
        ordering = ["layer", "id"]
        indexes = [models.Index(fields=["bureau", "layer"], name="gisfeature_bureau_layer_idx")]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


def _default_history_since() -> dt.date:
    return dt.date(1970, 1, 1)


class TopicReportSettings(TenantOwned):
    """What a bureau's special-topic report holds and whom it is pushed to (one row per bureau).

    Whether a quake gets a report at all (threshold, distance, report and pushes on or
    off) is the bureau's ``catalog.AlertRule``, decided in ``catalog.arrival``.
    """

    history_radius_km = models.FloatField(
        _("historical seismicity radius (km)"),
        default=200.0,
        validators=[MinValueValidator(10.0), MaxValueValidator(500.0)],
    )
    history_min_magnitude = models.FloatField(
        _("historical seismicity minimum magnitude"),
        default=4.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(9.9)],
    )
    history_since = models.DateField(_("historical seismicity since"), default=_default_history_since)
    town_radius_km = models.FloatField(
        _("towns radius (km)"), default=50.0, validators=[MinValueValidator(1.0), MaxValueValidator(300.0)]
    )
    layer_radius_km = models.FloatField(
        _("GIS layers radius (km)"),
        default=50.0,
        validators=[MinValueValidator(1.0), MaxValueValidator(300.0)],
    )
    email_recipients = models.TextField(
        _("e-mail recipients"), blank=True, help_text=_("On-duty addresses, one per line or comma-separated.")
    )
    wechat_webhook_url = models.URLField(
        _("WeChat Work group-bot webhook"),
        max_length=500,
        blank=True,
        help_text=_("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..."),
    )
    push_max_attempts = models.PositiveSmallIntegerField(
        _("push attempts"), default=4, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    push_retry_seconds = models.PositiveIntegerField(
        _("first retry after (s)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text=_("Each further retry waits twice as long."),
    )

    class Meta:
        verbose_name = _("topic report settings")
        verbose_name_plural = _("topic report settings")
        constraints = [
            models.UniqueConstraint(fields=["bureau"], name="topicreportsettings_one_per_bureau"),
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}: {self._meta.verbose_name}"

    @property
    def email_list(self) -> list[str]:
        parts = self.email_recipients.replace(";", ",").replace("\n", ",").split(",")
        return [p.strip() for p in parts if p.strip()]


class TopicReport(TenantOwned):
    """One build of the special-topic report for a bureau and one version of an event."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        BUILDING = "building", _("building")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    event = models.ForeignKey("catalog.Event", on_delete=models.CASCADE, related_name="topic_reports")
    event_version = models.PositiveIntegerField(_("event version"))
    report_kind = models.CharField(_("report kind"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=32, blank=True)
    # When the event (this version of it) reached the portal; the report's clock starts here.
    received_at = models.DateTimeField(_("event received at"))
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    # Seconds spent per part of the build: {"queries": .., "maps": .., "pdf": .., "total": ..}.
    timings = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/", max_length=300, blank=True)
    context = models.JSONField(_("content"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    build_attempts = models.PositiveSmallIntegerField(default=0)

    PUBLISHED_Q: ClassVar[Q] = Q(status="ready")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("special-topic report")
        verbose_name_plural = _("special-topic reports")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "event", "event_version"], name="topicreport_one_per_event_version"
            ),
        ]
        indexes = [models.Index(fields=["bureau", "-created_at"], name="topicreport_bureau_recent_idx")]

    def __str__(self) -> str:
        return f"{self.event} v{self.event_version} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("reports:topic-detail", args=[self.pk])

    @property
    def build_seconds(self) -> float | None:
        if self.ready_at is None:
            return None
        return (self.ready_at - self.received_at).total_seconds()


class PushAttempt(TenantOwned):
    """Delivery of a ready report over one channel; every try is counted, the last error kept."""

    class Channel(models.TextChoices):
        WEBSOCKET = "websocket", _("in-app notification")
        EMAIL = "email", _("e-mail")
        WECHAT = "wechat", _("WeChat Work group bot")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    report = models.ForeignKey(TopicReport, on_delete=models.CASCADE, related_name="pushes")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    target = models.CharField(_("to"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=4)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["report", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["report", "channel"], name="pushattempt_one_per_channel"),
        ]
        indexes = [models.Index(fields=["bureau", "status"], name="pushattempt_bureau_status_idx")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.channel}: {self.status}"
