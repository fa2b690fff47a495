"""Recognition rules (识别规则): a discipline expert's standing order to run one series
method over channels as their data arrive, and to report what persists beyond a threshold
as an automatic anomaly (``disciplines.Anomaly`` of source "product").

* :class:`RecognitionRule`: which channels (chosen ones, or every active channel of an
  observation item in the bureau), which method and parameters, the threshold (for methods
  giving a per-day indicator), how many days a span must persist, and the look-back analysed
  at each evaluation. ``state`` (active/paused) moves only through ``services.WORKFLOW``.
* :class:`Detection`: one span a rule found on one channel, the product run that found it
  last and the anomaly it reported; a later span overlapping or touching it while that
  anomaly is open extends it.
* :class:`RuleChannelState`: per rule and channel, what the last evaluation saw (the
  newest change of the channel's stored days), so the hourly job evaluates only where data
  changed.

Tenancy: a rule and its detections are the bureau's working material (``PUBLISHED_Q`` is
None): national units read the anomalies once assessed, not the rules.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class RuleState(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")


class Direction(models.TextChoices):
    ABOVE = "above", _("above the threshold")
    BELOW = "below", _("below the threshold")


class RecognitionRule(TenantOwned):
    """Which channels, which method, what threshold, how many days."""

    State = RuleState

    name = models.CharField(_("name"), max_length=120)
    discipline = models.ForeignKey(
        "portal.Discipline", on_delete=models.PROTECT, related_name="+", verbose_name=_("discipline")
    )
    method = models.CharField(_("method"), max_length=32)
    # validated by products.methods.registry.validate_params(..., series=True), defaults filled
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    channels = models.ManyToManyField(
        "observations.Channel", blank=True, related_name="+", verbose_name=_("channels")
    )
    # or every active channel of this observation item in the bureau (when no channel is chosen)
    item_code = models.CharField(_("observation item"), max_length=16, blank=True)
    window_days = models.PositiveSmallIntegerField(_("look-back (days)"), default=90)
    # for methods giving a per-day indicator (recognition.spans.INDICATOR_METHODS)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.ABOVE
    )
    persist_days = models.PositiveSmallIntegerField(_("persisting at least (days)"), default=3)
    state = models.CharField(_("state"), max_length=8, choices=RuleState.choices, default=RuleState.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)

    class Meta:
        ordering = ["bureau__code", "name", "id"]
        verbose_name = _("recognition rule")
        verbose_name_plural = _("recognition rules")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="recognitionrule_unique_name"),
            models.CheckConstraint(condition=Q(window_days__gte=7), name="recognitionrule_window_days"),
            models.CheckConstraint(condition=Q(persist_days__gte=1), name="recognitionrule_persist_days"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("recognition:rule-detail", args=[self.pk])


class Detection(TenantOwned):
    """One span a rule found on one channel, and the anomaly it reported."""

    rule = models.ForeignKey(RecognitionRule, on_delete=models.CASCADE, related_name="detections")
    channel = models.ForeignKey("observations.Channel", on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    peak = models.FloatField(_("peak"), null=True, blank=True)
    run = models.ForeignKey(
        "products.ProductRun", on_delete=models.PROTECT, related_name="+", verbose_name=_("product run")
    )
    anomaly = models.ForeignKey(
        "disciplines.Anomaly", on_delete=models.PROTECT, related_name="+", verbose_name=_("anomaly")
    )
    extended_at = models.DateTimeField(_("extended"), null=True, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        verbose_name = _("detection")
        verbose_name_plural = _("detections")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="detection_end_after_start"),
        ]
        indexes = [models.Index(fields=["rule", "channel", "-end"], name="detection_rule_channel_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.channel_id} {self.start}–{self.end}"


class RuleChannelState(TenantOwned):
    """What the last evaluation of a rule on a channel saw, and how it went."""

    rule = models.ForeignKey(RecognitionRule, on_delete=models.CASCADE, related_name="channel_states")
    channel = models.ForeignKey("observations.Channel", on_delete=models.CASCADE, related_name="+")
    # the newest ``updated_at`` of the channel's stored days when it was evaluated
    data_changed_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(
        "products.ProductRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "channel"], name="rulechannelstate_once"),
        ]
