"""Earthquake events, their versions (solutions), imports and the quick-report inbox.

An :class:`Event` carries its *preferred* solution denormalised on the row
(origin time, epicentre, depth, magnitude) so the FDSN service and the maps
filter one table; every solution it ever had is an :class:`EventVersion`
(an automatic quick report replaced by the formal one keeps both).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Bureau
from portal.tenancy import TenantOwned
from portal.timefmt import format_time


class EventStatus(models.TextChoices):
    AUTOMATIC = "automatic", _("automatic")
    REVIEWED = "reviewed", _("reviewed")
    DELETED = "deleted", _("deleted")


class ReportKind(models.TextChoices):
    AUTOMATIC = "automatic", _("automatic quick report")
    FORMAL = "formal", _("formal quick report")
    CATALOG = "catalog", _("catalog")


class DataOrigin(models.TextChoices):
    QUICK_REPORT = "quick_report", _("quick report")
    IMPORT = "import", _("import")
    MANUAL = "manual", _("entered by hand")
    DEMO = "demo", _("demo data")


class Event(TenantOwned):
    """An earthquake in a bureau's catalog, with its preferred solution on the row."""

    # No index of its own: event_bureau_time_idx leads with the bureau (issue 18: fewer
    # indexes to keep on every insert). Otherwise as TenantOwned declares it.
    bureau = models.ForeignKey("portal.Bureau", on_delete=models.PROTECT, related_name="+", db_index=False)
    public_id = models.CharField(_("event id"), max_length=64, unique=True)
    # The id the event has in the file it came from (USGS/CENC ids); matched on re-import.
    external_id = models.CharField(_("external id"), max_length=128, blank=True, default="")
    origin_time = models.DateTimeField(_("origin time"))
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    location = models.PointField(_("epicentre"), srid=4326)
    depth_km = models.FloatField(_("depth (km)"), null=True, blank=True)
    magnitude = models.FloatField(_("magnitude"), null=True, blank=True)
    magnitude_type = models.CharField(_("magnitude type"), max_length=8, blank=True, default="M")
    location_name = models.CharField(_("place"), max_length=200, blank=True, default="")
    source = models.CharField(_("source"), max_length=64, blank=True, default="")
    event_type = models.CharField(_("event type"), max_length=40, default="earthquake")
    # The evaluation status of the preferred solution (QuakeML's evaluationStatus), copied
    # from it with the other solution fields; not a stage of work: no one moves it, no
    # workflow, and its history is the event's versions (EventVersion), not the audit trail.
    status = models.CharField(_("status"), max_length=16, choices=EventStatus.choices)
    report_kind = models.CharField(_("report kind"), max_length=16, choices=ReportKind.choices)
    is_published = models.BooleanField(_("published"), default=False)
    strike = models.FloatField(_("strike"), null=True, blank=True)
    dip = models.FloatField(_("dip"), null=True, blank=True)
    rake = models.FloatField(_("rake"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    PUBLIC_Q: ClassVar[Q] = Q(is_published=True) & ~Q(status="deleted")
    PUBLISHED_Q: ClassVar[Q] = PUBLIC_Q

    class Meta:
        ordering = ["-origin_time", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        # Issue 18: each index checked with EXPLAIN on the FDSN filters people use
        # (bench/catalog_explain.py, figures in bench/RESULTS.md). The geometry GiST on
        # ``location`` (boxes, jurisdictions; also the prefilter of radius searches, see
        # selectors._SphereDWithin) comes with the field; the geography GiST over the same
        # points, a plain magnitude index and the bureau's own index were dropped, as was
        # the ``varchar_pattern_ops`` twin of public_id (migration 0005).
        indexes = [
            models.Index(fields=["-origin_time"], name="event_time_idx"),
            models.Index(fields=["bureau", "-origin_time"], name="event_bureau_time_idx"),
            models.Index(fields=["updated_at"], name="event_updated_idx"),
            models.Index(fields=["external_id"], name="event_external_idx"),
            # The public FDSN query with a magnitude floor (and a time span, a box): all of it
            # in the index condition, only the matching rows read from the table.
            models.Index(
                fields=["magnitude", "origin_time", "latitude", "longitude"],
                name="event_public_mag_time_idx",
                condition=Q(is_published=True) & ~Q(status="deleted"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90) & Q(latitude__lte=90), name="event_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180) & Q(longitude__lte=180), name="event_longitude_range"
            ),
        ]

    def __str__(self) -> str:
        mag = f"{self.magnitude_type}{self.magnitude:.1f}" if self.magnitude is not None else "M?"
        return (
            f"{format_time(self.origin_time, with_seconds=True)} {mag} {self.location_name}"  # Beijing time
        )

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:event-detail", kwargs={"public_id": self.public_id})


#: A bureau without an alert rule of its own acts on quakes from this magnitude (provinces only).
DEFAULT_THRESHOLD = Decimal("3.0")
#: How far beyond its jurisdiction a bureau looks at most.
MAX_ALERT_DISTANCE_KM = 500.0
#: A notable quake (issue 15): a province opens a post-quake case from M5.0 within its
#: jurisdiction or 100 km of it; a national unit from M6.0 in China and M7.0 abroad.
POST_QUAKE_MIN_MAGNITUDE = Decimal("5.0")
POST_QUAKE_DISTANCE_KM = 100.0
NATIONAL_POST_QUAKE_MIN_MAGNITUDE_CHINA = Decimal("6.0")
NATIONAL_POST_QUAKE_MIN_MAGNITUDE_ABROAD = Decimal("7.0")


class AlertAction(models.TextChoices):
    """What a bureau does when a quake concerns it (see catalog.arrival)."""

    TOPIC_REPORT = "topic_report", _("special-topic report")
    EMERGENCY_MEETING = "emergency_meeting", _("emergency meeting")
    POST_QUAKE_CASE = "post_quake_case", _("post-quake case")


class AlertRule(TenantOwned):
    """When a quake concerns a bureau, and what the bureau then does (one row per bureau).

    The one rule read by ``catalog.arrival.concerned_bureaus``. A provincial bureau
    without a row acts with the defaults (``catalog.arrival.default_rule``); a national
    unit or centre (whose jurisdiction is the whole country) only once it saves one.

    ``threshold_magnitude`` and ``distance_km`` select the quakes of the special-topic report
    and the emergency meeting; the post-quake case has thresholds of its own: in or near the
    jurisdiction, anywhere in China, abroad (``portal.territory``), each optional.
    """

    threshold_magnitude = models.DecimalField(
        _("threshold magnitude"),
        max_digits=3,
        decimal_places=1,
        default=DEFAULT_THRESHOLD,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("9.9"))],
        help_text=_("Quakes at or above this magnitude concern the bureau."),
    )
    distance_km = models.FloatField(
        _("distance beyond the jurisdiction (km)"),
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(MAX_ALERT_DISTANCE_KM)],
        help_text=_("0: only quakes inside the jurisdiction."),
    )
    topic_report = models.BooleanField(_("build a special-topic report"), default=True)
    pushes = models.BooleanField(
        _("push the report"),
        default=True,
        help_text=_("In the portal, by e-mail and to the WeChat Work group bot, once it is built."),
    )
    emergency_meeting = models.BooleanField(_("open an emergency meeting"), default=True)
    post_quake_case = models.BooleanField(
        _("open a post-quake case"),
        default=True,
        help_text=_(
            "A post-quake trend case with its 30-minute clock and an automatic first draft, for "
            "the quakes the post-quake thresholds below select (not the threshold above)."
        ),
    )
    # The post-quake case has thresholds of its own (issue 15): any one that is set and reached
    # opens the case. A new rule gets those of its bureau's kind (post_quake_defaults).
    post_quake_min_magnitude = models.DecimalField(
        _("post-quake case: magnitude in or near the jurisdiction"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        default=POST_QUAKE_MIN_MAGNITUDE,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("9.9"))],
        help_text=_(
            "Quakes at or above it inside the jurisdiction or within the distance below. Empty: none."
        ),
    )
    post_quake_distance_km = models.FloatField(
        _("post-quake case: distance beyond the jurisdiction (km)"),
        default=POST_QUAKE_DISTANCE_KM,
        validators=[MinValueValidator(0.0), MaxValueValidator(MAX_ALERT_DISTANCE_KM)],
    )
    post_quake_min_magnitude_china = models.DecimalField(
        _("post-quake case: magnitude anywhere in China"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("9.9"))],
        help_text=_(
            "Quakes at or above it anywhere in China: its land, the Bohai, the Taiwan Strait and "
            "12 nautical miles off its coasts. Empty: none."
        ),
    )
    post_quake_min_magnitude_abroad = models.DecimalField(
        _("post-quake case: magnitude abroad"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        default=None,
        validators=[MinValueValidator(Decimal("0.0")), MaxValueValidator(Decimal("9.9"))],
        help_text=_("Quakes at or above it anywhere else. Empty: none."),
    )

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [models.UniqueConstraint(fields=["bureau"], name="alertrule_one_per_bureau")]

    def __str__(self) -> str:
        return f"{self.bureau} ≥M{self.threshold_magnitude} +{self.distance_km:g} km"

    @classmethod
    def for_bureau(cls, bureau: Bureau) -> AlertRule:
        """A new (unsaved) rule of ``bureau`` with the defaults of its kind."""
        return cls(bureau=bureau, **post_quake_defaults(bureau.kind))

    @property
    def actions(self) -> list[str]:
        """The arrival actions this rule asks for (pushes follow the report, not the arrival)."""
        wanted = {
            AlertAction.TOPIC_REPORT: self.topic_report,
            AlertAction.EMERGENCY_MEETING: self.emergency_meeting,
            AlertAction.POST_QUAKE_CASE: self.post_quake_case,
        }
        return [str(action) for action, on in wanted.items() if on]


def post_quake_defaults(kind: str) -> dict[str, Decimal | float | None]:
    """The post-quake thresholds a new rule of a bureau of ``kind`` starts with: a province
    looks at its jurisdiction and 100 km around it; a national unit or centre (the whole
    country is theirs) at all of China and abroad."""
    if kind == Bureau.Kind.PROVINCIAL:
        return {
            "post_quake_min_magnitude": POST_QUAKE_MIN_MAGNITUDE,
            "post_quake_distance_km": POST_QUAKE_DISTANCE_KM,
            "post_quake_min_magnitude_china": None,
            "post_quake_min_magnitude_abroad": None,
        }
    return {
        "post_quake_min_magnitude": None,
        "post_quake_distance_km": 0.0,
        "post_quake_min_magnitude_china": NATIONAL_POST_QUAKE_MIN_MAGNITUDE_CHINA,
        "post_quake_min_magnitude_abroad": NATIONAL_POST_QUAKE_MIN_MAGNITUDE_ABROAD,
    }


class EventVersion(models.Model):
    """One solution of an event as it arrived (quick report, import, correction)."""

    # No index of its own: eventversion_unique_number (event, version) serves every lookup
    # by event (issue 18: one index fewer for each imported event's first version).
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="versions", db_index=False)
    version = models.PositiveIntegerField(_("version"))
    origin_time = models.DateTimeField(_("origin time"))
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    depth_km = models.FloatField(_("depth (km)"), null=True, blank=True)
    magnitude = models.FloatField(_("magnitude"), null=True, blank=True)
    magnitude_type = models.CharField(_("magnitude type"), max_length=8, blank=True, default="M")
    location_name = models.CharField(_("place"), max_length=200, blank=True, default="")
    source = models.CharField(_("source"), max_length=64, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=EventStatus.choices)
    report_kind = models.CharField(_("report kind"), max_length=16, choices=ReportKind.choices)
    strike = models.FloatField(_("strike"), null=True, blank=True)
    dip = models.FloatField(_("dip"), null=True, blank=True)
    rake = models.FloatField(_("rake"), null=True, blank=True)
    data_origin = models.CharField(_("came from"), max_length=16, choices=DataOrigin.choices)
    raw_text = models.TextField(_("raw text"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["event", "version"]
        constraints = [
            models.UniqueConstraint(fields=["event", "version"], name="eventversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} v{self.version}"


class QuickReportMessage(TenantOwned):
    """A quick-report SMS as received; kept whether it parsed or not (the inbox)."""

    class Status(models.TextChoices):
        PARSED = "parsed", _("parsed")
        # In context: "failed" alone is every other job's state (失败); a message failed to parse.
        FAILED = "failed", pgettext_lazy("quick report", "failed")
        CORRECTED = "corrected", _("corrected")

    text = models.TextField(_("message"))
    received_at = models.DateTimeField(_("received at"))
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    error = models.TextField(_("error"), blank=True, default="")
    error_part = models.CharField(_("part"), max_length=16, blank=True, default="")
    corrected_text = models.TextField(_("corrected text"), blank=True, default="")
    event = models.ForeignKey(
        Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="quick_reports"
    )
    submitted_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    corrected_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["bureau", "status"], name="qrmessage_bureau_status_idx")]
        constraints = [
            # The same SMS is one report however often and however simultaneously it
            # arrives (see catalog.services.quick_reports.quick_report_submit). Failed texts are kept
            # each time: the inbox shows every attempt that needs a person.
            models.UniqueConstraint(
                fields=["bureau", "fingerprint"],
                condition=Q(status="parsed"),
                name="qrmessage_one_parsed_per_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{format_time(self.received_at)} {self.status}"


class EventImport(TenantOwned):
    """One catalog file import: runs in a Celery task, reports progress and a summary."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        TEXT = "text", _("FDSN text")
        QUAKEML = "quakeml", "QuakeML 1.2"

    file = models.FileField(_("file"), upload_to="catalog/imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    publish = models.BooleanField(_("publish the events"), default=True)
    size_bytes = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # The first rejected rows, [{"line": 12, "reason": "..."}]; capped (see services).
    errors = models.JSONField(default=list, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
