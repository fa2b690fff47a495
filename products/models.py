"""Product runs (one computation of a method over a selection) and their schedules.

A :class:`ProductRun` records what was computed (method, validated parameters,
the resolved input selection), how it went (status, progress, start and end,
error) and what came out (result JSON, figure files), with the provenance
needed to trust or repeat it (code version, a hash of the exact input rows,
the parameters). Runs of one bureau are that bureau's working material:
``PUBLISHED_Q`` is None, so national units do not read provincial runs; what
a province publishes from them travels in its consultation reports.

A :class:`ProductSchedule` is a recurring run set up by a forecaster; the
timing lives in django-celery-beat (one ``PeriodicTask`` with a
``CrontabSchedule`` per schedule) so the beat process picks changes up.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class ProductRun(TenantOwned):
    """One run of a method over one input selection of a bureau."""

    Status = RunStatus

    method = models.CharField(_("method"), max_length=32)
    # Validated parameters with defaults filled in: what the method actually ran with.
    params = models.JSONField(_("parameters"), default=dict)
    # The resolved input: an FDSN-style catalog filter (absolute times), plus
    # {"jurisdiction": true}, {"sequence": {...}} or {"forecasts": [...]} where used.
    selection = models.JSONField(_("input selection"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_note = models.CharField(max_length=120, blank=True, default="")
    result = models.JSONField(_("result"), null=True, blank=True)
    # File names inside MEDIA_ROOT/products/<bureau_id>/<run_id>/ (of the source run when reused).
    figures = models.JSONField(_("figures"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    # sha256 of the validated parameters and the methods' source (see provenance.params_hash).
    params_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # sha256 of the exact input rows (see inputs.rows_hash); empty until the input is read.
    input_hash = models.CharField(max_length=64, blank=True, default="")
    input_count = models.PositiveIntegerField(_("input events"), null=True, blank=True)
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)
    # A run whose method, parameters and input hash matched a stored result points at it.
    reused_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reuses"
    )
    schedule = models.ForeignKey(
        "products.ProductSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The Celery task currently entitled to execute the run (a retry of it keeps the id).
    task_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("product run")
        verbose_name_plural = _("product runs")
        indexes = [
            models.Index(fields=["bureau", "status", "-created_at"], name="productrun_bureau_status_idx"),
            models.Index(fields=["status", "started_at"], name="productrun_stale_idx"),
        ]
        constraints = [
            # One computed result per (bureau, method, parameters, input): a later run with
            # the same key is stored as a reuse (reused_from set) instead of computing again.
            models.UniqueConstraint(
                fields=["bureau", "method", "params_hash", "input_hash"],
                condition=Q(status="succeeded", reused_from__isnull=True),
                name="productrun_one_result_per_input",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="productrun_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.method} #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("products:run-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    @property
    def error_text(self) -> str:
        """The error in the reader's language: a method's refusal of too little data is worded
        when it is read (the worker stored it in the default language), the method's own
        sentence naming what it needs kept as the detail."""
        refused = (self.provenance or {}).get("refused")
        if not isinstance(refused, dict):
            return self.error
        message = gettext("Not enough data: the selection has %(have)s, the method needs %(need)s.") % {
            "have": f"{refused.get('have', 0):g}",
            "need": f"{refused.get('need', 0):g}",
        }
        return f"{message} ({refused.get('detail', '')})"

    @property
    def figure_run_id(self) -> int:
        """The run whose directory holds the figure files (the source run for a reuse)."""
        return self.reused_from_id or self.pk


class ProductSchedule(TenantOwned):
    """A recurring run of one method for a bureau, fired by celery beat."""

    name = models.CharField(_("name"), max_length=120)
    method = models.CharField(_("method"), max_length=32)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Template selection: FDSN keys, {"jurisdiction": true} and "days" (a look-back
    # resolved to starttime/endtime each time the schedule fires).
    selection = models.JSONField(_("input selection"), default=dict, blank=True)
    minute = models.CharField(_("minute"), max_length=64, default="0")
    hour = models.CharField(_("hour"), max_length=64, default="6")
    day_of_week = models.CharField(_("day of week"), max_length=64, default="*")
    day_of_month = models.CharField(_("day of month"), max_length=64, default="*")
    month_of_year = models.CharField(_("month"), max_length=64, default="*")
    is_enabled = models.BooleanField(_("enabled"), default=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_run = models.ForeignKey(
        ProductRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["bureau__code", "name", "id"]
        verbose_name = _("product schedule")
        verbose_name_plural = _("product schedules")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="productschedule_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.method})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("products:schedule-edit", args=[self.pk])

    @property
    def crontab_text(self) -> str:
        return f"{self.minute} {self.hour} {self.day_of_month} {self.month_of_year} {self.day_of_week}"
