"""Quality control of the series (质控): the machine checks each channel-day first
(:class:`QcDay`, with its flags per sample span, :class:`QcFlag`), then a person of the
discipline reviews the flagged days (:class:`QcReview`). After SeisComP's scqc and the
seeds' "machine pre-review, then human review" (机器预审, 人工复核).

* ``QcDay`` is one channel's UTC day (the same day as :class:`SeriesDay`): availability,
  the counts of each kind of flag and the spike times, the short-term against long-term
  departure, ``status`` ``auto`` (the machine's word) or ``reviewed`` (a person's).
  Re-checking a day (its samples were replaced) replaces its flags and puts it back to
  ``auto``; the reviews stay in the history.
* ``QcFlag`` is one span of samples ``[start, end)`` of one kind. ``verdict`` is empty
  until a person reviews the day; then it says what the span was. A person may also mark a
  span the machine did not flag (kind ``marked``).
* Which spans the methods leave out: the machine's spikes, out-of-range values, flat lines
  and timestamp faults until a person says "data OK", and every span a person judged an
  instrument fault or interference (:func:`observations.qc_selectors.qc_excluded_spans`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned

from .interference import InterferenceFactor


class QcVerdict(models.TextChoices):
    """A person's judgement of a flagged day or span."""

    FAULT = "fault", _("confirmed instrument fault")
    INTERFERENCE = "interference", _("interference")
    OK = "ok", _("data OK")


class QcDay(TenantOwned):
    """The machine's check of one channel's UTC day, and whether a person reviewed it."""

    class Status(models.TextChoices):
        AUTO = "auto", _("checked by the machine")
        REVIEWED = "reviewed", _("reviewed")

    channel = models.ForeignKey("observations.Channel", on_delete=models.CASCADE, related_name="qc_days")
    day = models.DateField(_("day (UTC)"))
    expected = models.PositiveIntegerField(_("samples expected"), default=0)
    present = models.PositiveIntegerField(_("samples present"), default=0)
    availability = models.FloatField(_("availability (%)"), default=0.0)
    gaps = models.PositiveIntegerField(_("gaps"), default=0, help_text=_("runs of missing samples"))
    spikes = models.JSONField(
        _("spikes"), default=list, blank=True, help_text=_("spike times (ISO 8601, UTC)")
    )
    steps = models.PositiveIntegerField(_("steps"), default=0)
    flat = models.PositiveIntegerField(_("flat lines"), default=0)
    out_of_range = models.PositiveIntegerField(_("out of the plausible range"), default=0)
    timestamp_faults = models.PositiveIntegerField(_("timestamp faults"), default=0)
    # |short-term mean - long-term mean| / long-term spread; null until the long term is known
    departure = models.FloatField(_("departure (STA/LTA)"), null=True, blank=True)
    departure_alarm = models.BooleanField(_("departure alarm"), default=False)
    flagged = models.BooleanField(_("flagged"), default=False, help_text=_("a person should look at it"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.AUTO)
    checked_at = models.DateTimeField(_("checked"))

    class Meta:
        ordering = ["channel", "day"]
        verbose_name = _("QC day")
        verbose_name_plural = _("QC days")
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="qc_day_once")]
        indexes = [
            models.Index(fields=["bureau", "status", "flagged", "day"], name="qc_day_queue"),
            models.Index(fields=["day", "channel"], name="qc_day_by_day"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day}"


class QcFlag(TenantOwned):
    """One span of samples ``[start, end)`` flagged by the machine or marked by a person."""

    class Kind(models.TextChoices):
        GAP = "gap", _("gap")
        SPIKE = "spike", _("spike")
        STEP = "step", _("step")
        FLAT = "flat", _("flat line")
        OUT_OF_RANGE = "out_of_range", _("out of the plausible range")
        TIMESTAMP = "timestamp", _("timestamp fault")
        DEPARTURE = "departure", _("STA/LTA departure")
        MARKED = "marked", _("marked by a person")

    channel = models.ForeignKey("observations.Channel", on_delete=models.CASCADE, related_name="qc_flags")
    qc_day = models.ForeignKey(QcDay, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # the size of a spike or step, the flat value, the departure ratio …
    value = models.FloatField(_("value"), null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    verdict = models.CharField(_("verdict"), max_length=16, choices=QcVerdict.choices, blank=True)
    cause = models.CharField(_("cause"), max_length=16, choices=InterferenceFactor.choices, blank=True)

    class Meta:
        ordering = ["channel", "start", "id"]
        verbose_name = _("QC flag")
        verbose_name_plural = _("QC flags")
        indexes = [models.Index(fields=["channel", "start"], name="qc_flag_span")]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="qc_flag_span")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start}"


class QcReview(TenantOwned):
    """A person's review of a flagged day: fault, interference (with its cause) or data OK.

    The latest review of a day is its current one; earlier ones, and reviews of samples that
    were since replaced (``superseded``), stay as the history."""

    qc_day = models.ForeignKey(QcDay, on_delete=models.CASCADE, related_name="reviews")
    verdict = models.CharField(_("verdict"), max_length=16, choices=QcVerdict.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=InterferenceFactor.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # a span the person marked beyond the machine's flags (both or neither)
    start = models.DateTimeField(_("marked from"), null=True, blank=True)
    end = models.DateTimeField(_("marked until"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed"))
    superseded = models.BooleanField(_("superseded"), default=False)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        verbose_name = _("QC review")
        verbose_name_plural = _("QC reviews")

    def __str__(self) -> str:
        return f"{self.qc_day} {self.verdict}"
