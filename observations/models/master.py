"""Master data (主数据): the one record of each station, instrument and channel.

* :class:`ObservationItem` is reference data: an observation item (测项) with its code,
  names, discipline and unit (water level, radon, geomagnetic H …).
* :class:`Station` belongs to a bureau; :class:`Instrument` is installed at a station for a
  time; :class:`Channel` is what a series is recorded on: station + item (+ orientation),
  its unit, sampling interval and plausible range.

Changes to stations and channels are proposed by one bureau admin and approved by a second
(see the change-proposal module beside this one); the rows here are what was approved.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import TimeStamped
from portal.tenancy import TenantOwned


class SamplingInterval(models.IntegerChoices):
    SECOND = 1, _("1 second")
    MINUTE = 60, _("1 minute")
    HOUR = 3600, _("1 hour")
    DAY = 86400, _("1 day")


class ObservationItem(TimeStamped):
    """An observation item (测项), reference data read by everyone."""

    code = models.CharField(pgettext_lazy("observations", "code"), max_length=16, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100)
    discipline = models.ForeignKey("portal.Discipline", on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(pgettext_lazy("observations", "unit"), max_length=24)
    # where the code comes from (a CEA standard's item list, or "portal" for our own)
    source = models.CharField(_("source of the code"), max_length=200, blank=True)
    # recorded beside the precursor items to correct them (air pressure, rainfall)
    is_auxiliary = models.BooleanField(_("auxiliary"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["discipline__order", "order", "code"]
        verbose_name = _("observation item")
        verbose_name_plural = _("observation items")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"

    def display_name(self, language: str | None) -> str:
        return self.name_en if (language or "").startswith("en") else self.name_zh


# Master data are published once approved: national units and centres (``reads_published``)
# read every bureau's stations, instruments and channels (the national network is theirs to
# watch); a province reads its own only. Changes (``MasterDataChange``) stay in the bureau.
MASTER_DATA_PUBLISHED = Q(pk__isnull=False)


class Station(TenantOwned):
    """A station of a bureau (台站). ``status`` moves through the station workflow
    (``observations.services.station_workflow``) when an approved change suspends, resumes
    or closes it."""

    PUBLISHED_Q = MASTER_DATA_PUBLISHED

    class Kind(models.TextChoices):
        WELL = "well", _("well")
        SPRING = "spring", _("spring")
        GEOMAGNETIC = "geomagnetic", _("geomagnetic observatory")
        GEOELECTRIC = "geoelectric", _("geoelectric station")
        DEFORMATION = "deformation", _("deformation station")
        GRAVITY = "gravity", _("gravity station")
        COMPREHENSIVE = "comprehensive", _("comprehensive station")

    class Status(models.TextChoices):
        ACTIVE = "active", _("operating")
        SUSPENDED = "suspended", _("suspended")
        CLOSED = "closed", pgettext_lazy("observations", "closed")

    code = models.CharField(pgettext_lazy("observations", "code"), max_length=16, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    location = models.PointField(_("location"), srid=4326)
    elevation_m = models.FloatField(_("elevation (m)"), null=True, blank=True)
    kind = models.CharField(pgettext_lazy("observations", "kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    closed_on = models.DateField(pgettext_lazy("observations", "closed"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True)
                | Q(opened_on__isnull=True)
                | Q(closed_on__gte=F("opened_on")),
                name="station_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("observations:station-detail", args=[self.code])

    def display_name(self, language: str | None) -> str:
        return (self.name_en or self.name_zh) if (language or "").startswith("en") else self.name_zh


class Instrument(TenantOwned):
    """An instrument installed at a station for a time."""

    PUBLISHED_Q = MASTER_DATA_PUBLISHED

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="instruments")
    model = models.CharField(_("model"), max_length=60)
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    installed_on = models.DateField(_("installed"))
    removed_on = models.DateField(_("removed"), null=True, blank=True)

    class Meta:
        ordering = ["station", "-installed_on"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=F("installed_on")),
                name="instrument_removed_after_installed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.serial_number}".strip()


class Channel(TenantOwned):
    """What one series is recorded on: a station's observation item (and orientation).

    ``bureau`` is the station's bureau (kept on the row so tenancy reads it like any other)."""

    PUBLISHED_Q = MASTER_DATA_PUBLISHED

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="channels")
    item = models.ForeignKey(ObservationItem, on_delete=models.PROTECT, related_name="channels")
    discipline = models.ForeignKey("portal.Discipline", on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey(
        Instrument, on_delete=models.SET_NULL, null=True, blank=True, related_name="channels"
    )
    # "NS", "EW", "N30E" … where the item has a direction (tilt, strain, geoelectric dipoles)
    orientation = models.CharField(_("orientation"), max_length=12, blank=True)
    unit = models.CharField(pgettext_lazy("observations", "unit"), max_length=24)
    interval = models.PositiveIntegerField(
        _("sampling interval"), choices=SamplingInterval.choices, default=SamplingInterval.MINUTE
    )
    plausible_min = models.FloatField(_("plausible minimum"), null=True, blank=True)
    plausible_max = models.FloatField(_("plausible maximum"), null=True, blank=True)
    is_active = models.BooleanField(pgettext_lazy("observations", "active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["station__code", "item__order", "orientation"]
        verbose_name = pgettext_lazy("observations", "channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "item", "orientation"], name="channel_once_per_station"
            ),
            models.CheckConstraint(
                condition=Q(plausible_min__isnull=True)
                | Q(plausible_max__isnull=True)
                | Q(plausible_max__gt=F("plausible_min")),
                name="channel_plausible_range_order",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" {self.orientation}" if self.orientation else ""
        return f"{self.station.code} {self.item.name_zh}{suffix}"

    def get_absolute_url(self) -> str:
        return reverse("observations:channel-detail", args=[self.pk])
