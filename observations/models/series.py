"""Observation time series: one row per channel and UTC day (:class:`SeriesDay`), and the
file imports that write them (:class:`SeriesImport`).

Layout decided by measurement (``bench/series_bench.py``, figures in ``bench/RESULTS.md``,
50 channels x 365 days of minute samples = 26 M samples, one run): the day's samples as one
``real[]`` (float4, NULL elements for gaps, TOAST-compressed with pglz) took 2.4 bytes a
sample on disk (lz4: 3.7), ingested 11 M samples/s against 4.2 M/s for binary ``COPY`` of
one row per sample into a plain table (the limit: 52 bytes a sample with no index, 84 with
one), and read a channel's year in ~35 ms at minute or hour resolution; monthly
partitions of a (channel, time, value) table with BRIN took as much space as the plain
table, ingested at 1.8 M/s and read the year in 150-620 ms. At the national scale
(6,000 channels, ~3 billion samples a year) that is ~7 GB a year instead of ~250 GB.

* ``day`` is the UTC date of the samples' timestamps (the exchange formats are in UTC; a
  Beijing day is a shift of 8 hours applied when reading).
* ``values`` has ``86400 / channel.interval`` elements: element i is the sample at
  ``day 00:00 UTC + i * interval``. A gap is a NULL element, never a zero or an
  interpolation. Values are float32: read back they equal the imported values rounded to
  float32 (7 significant digits).
* ``n_present``, ``min``, ``max``, ``sum`` summarise the day (day means without reading the
  array).
* Tenancy: ``bureau`` is the channel's bureau, so ``visible_to`` applies; other bureaus see
  nothing until data sharing exists.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class RealField(models.FloatField):
    """A float4 (``real``) column: 4 bytes, 7 significant digits, what instruments give."""

    def db_type(self, connection) -> str:  # type: ignore[no-untyped-def]
        return "real"


class DayValuesBinary(models.Func):
    """``values`` in PostgreSQL's binary array form with gaps as NaN (``array_send``): a fixed
    8 bytes a cell that numpy decodes in one step (observations.series_codec)."""

    template = "array_send(array_replace(%(expressions)s, NULL, 'NaN'::real))"
    output_field = models.BinaryField()


class SeriesDay(TenantOwned):
    """One channel's samples of one UTC day (see the module docstring for the layout)."""

    channel = models.ForeignKey("observations.Channel", on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("day (UTC)"))
    values = ArrayField(RealField(null=True), verbose_name=_("samples"))
    n_present = models.PositiveIntegerField(_("samples present"), default=0)
    min = RealField(_("minimum"), null=True)
    max = RealField(_("maximum"), null=True)
    sum = models.FloatField(_("sum"), null=True)

    class Meta:
        ordering = ["channel", "day"]
        verbose_name = _("channel day")
        verbose_name_plural = _("channel days")
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="series_day_once")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day}"


class SeriesDayEvidence(TenantOwned):
    """What a stored channel-day was when it was received (observations.evidence): the
    SHA-256 of its canonical form, carried by the audit chain record ``recorded_in`` (the
    write that stored it). One row per channel and day, replaced when the day is written
    again; a day written empty loses its row. Keyed by (channel, day), not by the
    ``SeriesDay`` row, so a deleted day shows as missing instead of taking its evidence along."""

    channel = models.ForeignKey("observations.Channel", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day (UTC)"))
    sha256 = models.CharField(max_length=64)
    samples = models.PositiveIntegerField(_("samples present"), default=0)
    recorded_in = models.ForeignKey("portal.AuditEvent", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["channel", "day"]
        verbose_name = _("channel-day evidence")
        verbose_name_plural = _("channel-day evidence")
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="series_day_evidence_once")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day} {self.sha256[:12]}"


class SeriesImport(TenantOwned):
    """One series file import: runs in a Celery task, all or nothing, with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Format(models.TextChoices):
        IAGA2002 = "iaga2002", "IAGA-2002"
        CSV = "csv", "CSV"
        CEA = "cea", _("CEA precursor text")

    file = models.FileField(_("file"), upload_to="observations/imports/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=200)
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    channel = models.ForeignKey(
        "observations.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    station = models.ForeignKey(
        "observations.Station", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    size_bytes = models.BigIntegerField(default=0)
    # of the file as uploaded (observations.evidence.file_digest): the import refuses a file
    # that changed in storage since, and the chain carries it
    sha256 = models.CharField(max_length=64, blank=True, default="")
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    samples_stored = models.BigIntegerField(default=0)
    samples_rejected = models.BigIntegerField(default=0)
    # [line, ...] of rejected samples and of out-of-range samples (stored, flagged); capped
    rejected_lines = models.JSONField(default=list, blank=True)
    flagged = models.BigIntegerField(_("out of the plausible range"), default=0)
    flagged_lines = models.JSONField(default=list, blank=True)
    channels_touched = models.JSONField(default=list, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("series import")
        verbose_name_plural = _("series imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
