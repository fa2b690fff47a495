"""The documents the portal compiles from what it holds.

* :class:`TrendReport` is the monthly earthquake trend report (月度地震趋势会商报告, 每月震情)
  of one bureau for one month and one version. Its :class:`TrendSection` rows hold, per
  section, the compiled data (JSON, with :class:`TrendFigure` images) and the text the
  forecasters write. It moves draft → submitted → reviewed → signed off → issued → archived
  through ``portal.workflow`` (``trends.services.trend_workflow``); a return sends it back
  to draft with comments. From sign-off on it is frozen; a correction is a new version
  (``corrects``) and its diff is read against the version before.
* :class:`Brief` is a daily or weekly brief of a bureau (简报) or a discipline report
  (学科报告) of a period: compiled content, rendered by the one renderer, pushed by the
  bureau's channels.

Visibility: a bureau reads its own; national units and centres read issued and archived
trend reports (``PUBLISHED_Q``: issued reports reach the level above) and every brief is
its bureau's own.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class TrendStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    REVIEWED = "reviewed", _("reviewed")
    SIGNED_OFF = "signed_off", _("signed off")
    ISSUED = "issued", _("issued")
    ARCHIVED = "archived", _("archived")


class CompileStatus(models.TextChoices):
    """The compilation job's state: every run ends in done or failed, shown on the report."""

    QUEUED = "queued", _("queued")
    RUNNING = "running", _("compiling")
    DONE = "done", _("compiled")
    FAILED = "failed", _("compilation failed")


class TrendReport(TenantOwned):
    """One bureau's monthly trend report for one month (``month`` is its first day)."""

    FROZEN = (TrendStatus.SIGNED_OFF, TrendStatus.ISSUED, TrendStatus.ARCHIVED)
    EDITABLE = (TrendStatus.DRAFT,)

    month = models.DateField(_("month"), db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_note = models.TextField(_("what this version corrects"), blank=True)
    title = models.CharField(_("title"), max_length=200)
    # the words people type for this month ("十月 10月 October 月报 月度趋势"): searched with the title
    search_text = models.CharField(max_length=200, blank=True, default="")
    number = models.CharField(_("issue number"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TrendStatus.choices, default=TrendStatus.DRAFT
    )
    # the compilation (a Celery job): its state, progress and the message of a failure
    compile_status = models.CharField(
        _("compilation"), max_length=10, choices=CompileStatus.choices, default=CompileStatus.QUEUED
    )
    compile_progress = models.PositiveSmallIntegerField(default=0)
    compile_note = models.CharField(max_length=200, blank=True, default="")
    compile_task_id = models.CharField(max_length=64, blank=True, default="")
    compile_started_at = models.DateTimeField(null=True, blank=True)
    compiled_at = models.DateTimeField(_("compiled at"), null=True, blank=True)
    # digest of the sections as signed (data and text), so a frozen report can be checked
    content_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    PUBLISHED_Q = Q(status__in=[TrendStatus.ISSUED, TrendStatus.ARCHIVED])

    class Meta:
        ordering = ["-month", "bureau__code", "-version"]
        verbose_name = _("monthly trend report")
        verbose_name_plural = _("monthly trend reports")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "month", "version"], name="trend_report_version_unique"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="trend_report_month_first_day"),
        ]
        indexes = [models.Index(fields=["bureau", "month"], name="trend_report_bureau_month")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("trends:report-detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN

    @property
    def month_label(self) -> str:
        return self.month.strftime("%Y-%m")


class TrendSection(models.Model):
    """One section of a trend report: what was compiled (``data``) and what people wrote."""

    report = models.ForeignKey(TrendReport, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(_("section"), max_length=24)
    position = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(_("compiled data"), default=dict, blank=True)
    text = models.TextField(_("text"), blank=True)
    compiled_at = models.DateTimeField(_("compiled at"), null=True, blank=True)
    # how many catalog events the data came from (None for a section not built from events)
    n_events = models.PositiveIntegerField(null=True, blank=True)
    # the reviewer's comment on this section when the report was returned ("" when none)
    review_comment = models.TextField(_("reviewer's comment"), blank=True)
    text_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["report", "position"]
        constraints = [models.UniqueConstraint(fields=["report", "key"], name="trend_section_once")]

    def __str__(self) -> str:
        return f"{self.report_id}:{self.key}"


class TrendFigure(models.Model):
    """A figure of a section (PNG), kept in the database beside the data it was drawn from,
    so it is served only through the report's visibility and frozen with it."""

    section = models.ForeignKey(TrendSection, on_delete=models.CASCADE, related_name="figures")
    name = models.SlugField(max_length=40)
    title = models.CharField(max_length=200, blank=True)
    png = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["section", "id"]
        constraints = [models.UniqueConstraint(fields=["section", "name"], name="trend_figure_once")]

    def __str__(self) -> str:
        return f"{self.section}:{self.name}"


DEFAULT_B_VALUE_MAX = 0.7
DEFAULT_RATE_Z_MIN = 2.5


class BriefKind(models.TextChoices):
    DAILY = "daily", _("daily brief")
    WEEKLY = "weekly", _("weekly brief")
    DISCIPLINE = "discipline", _("discipline report")


class Brief(TenantOwned):
    """A bureau's daily or weekly brief, or one discipline's report, for one period."""

    kind = models.CharField(_("kind"), max_length=12, choices=BriefKind.choices)
    discipline = models.ForeignKey(
        "portal.Discipline", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("to"))
    title = models.CharField(_("title"), max_length=200)
    content = models.JSONField(default=dict, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "kind", "id"]
        verbose_name = _("brief")
        verbose_name_plural = _("briefs")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "kind", "discipline", "period_start"],
                name="brief_once_per_period",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(kind="discipline", discipline__isnull=False)
                | (~Q(kind="discipline") & Q(discipline__isnull=True)),
                name="brief_discipline_only_for_discipline_reports",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("trends:brief-detail", args=[self.pk])


class BriefSettings(TenantOwned):
    """When a bureau's briefs are compiled (Beijing time) and whether the weekly one is."""

    daily_at = models.TimeField(_("daily brief at (Beijing time)"), default=datetime.time(8, 0))
    weekly = models.BooleanField(_("weekly brief on Mondays"), default=True)
    discipline_reports = models.BooleanField(_("discipline reports with the weekly brief"), default=True)
    # the product results a brief calls out (shown on the settings page and in each brief)
    b_value_max = models.FloatField(
        _("b-value at or below"),
        default=DEFAULT_B_VALUE_MAX,
        validators=[MinValueValidator(0.1), MaxValueValidator(3.0)],
        help_text=_("A b-value run whose b is at or below this is called out in the brief."),
    )
    rate_z_min = models.FloatField(
        _("rate change |Z| at or above"),
        default=DEFAULT_RATE_Z_MIN,
        validators=[MinValueValidator(0.5), MaxValueValidator(20.0)],
        help_text=_("A rate-change run with a cell whose |Z| reaches this is called out in the brief."),
    )

    class Meta:
        verbose_name = _("brief settings")
        constraints = [models.UniqueConstraint(fields=["bureau"], name="brief_settings_one_per_bureau")]

    def __str__(self) -> str:
        return f"{self.bureau} {self.daily_at}"
