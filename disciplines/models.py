"""Reporting units, zero-reports, anomalies,
verification reports and discipline assessments."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from observations.models import InterferenceFactor
from portal.models import Discipline
from portal.tenancy import TenantOwned

# --- reporting units and zero-reports (宏观异常零报告) ------------------------------------

BEIJING = ZoneInfo("Asia/Shanghai")
DEFAULT_DEADLINE = time(10, 0)
DEFAULT_VERIFICATION_HOURS = 72


class BureauAnomalySettings(TenantOwned):
    """Per-bureau settings of the anomaly work (one row per bureau; defaults when absent)."""

    verification_hours = models.PositiveIntegerField(
        _("verification deadline (hours)"),
        default=DEFAULT_VERIFICATION_HOURS,
        help_text=_("How long a verifier has to submit the verification report."),
    )
    assessment_hours = models.PositiveIntegerField(
        _("assessment deadline (hours)"),
        default=DEFAULT_VERIFICATION_HOURS,
        help_text=_("How long the discipline group has to assess a verified anomaly."),
    )

    class Meta:
        verbose_name = _("anomaly settings")
        verbose_name_plural = _("anomaly settings")
        constraints = [
            models.UniqueConstraint(fields=["bureau"], name="anomalysettings_one_per_bureau"),
            models.CheckConstraint(
                condition=Q(verification_hours__gte=1), name="anomalysettings_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id}: {self.verification_hours} h"


class ReportingUnit(TenantOwned):
    """A station, county office or macroscopic observation point that reports on a schedule."""

    class Kind(models.TextChoices):
        STATION = "station", _("station")
        COUNTY_OFFICE = "county_office", _("county office")
        MACRO_POINT = "macro_point", _("macroscopic observation point")

    class Schedule(models.TextChoices):
        DAILY = "daily", _("daily")
        WEEKLY = "weekly", _("weekly")

    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.STATION)
    discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, related_name="+")
    location = gis_models.PointField(_("location"), srid=4326)
    observation_items = ArrayField(
        models.CharField(max_length=60), verbose_name=_("observation items"), default=list, blank=True
    )
    reporters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="reporting_units", blank=True, verbose_name=_("reporters")
    )
    schedule = models.CharField(_("schedule"), max_length=8, choices=Schedule.choices, default=Schedule.DAILY)
    deadline_time = models.TimeField(
        _("deadline (Beijing time, next day)"),
        default=DEFAULT_DEADLINE,
        help_text=_("A period's report is due at this time on the day after the period ends."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # a unit that is a station links to the station's master record (observations.Station)
    station = models.ForeignKey(
        "observations.Station",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reporting_units",
        verbose_name=_("station"),
    )

    class Meta:
        ordering = ["discipline__order", "code"]
        verbose_name = _("reporting unit")
        verbose_name_plural = _("reporting units")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "code"], name="reportingunit_code_unique_in_bureau"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def period_start(self, day: date) -> date:
        """The period that contains ``day``: the day itself, or the Monday of its week."""
        if self.schedule == self.Schedule.WEEKLY:
            return day - timedelta(days=day.weekday())
        return day

    def period_end(self, period: date) -> date:
        return period + timedelta(days=6) if self.schedule == self.Schedule.WEEKLY else period

    def deadline_for(self, period: date) -> datetime:
        """When the report of ``period`` is due: ``deadline_time`` Beijing time the day after it ends."""
        due_day = self.period_end(period) + timedelta(days=1)
        return datetime.combine(due_day, self.deadline_time, tzinfo=BEIJING)


class ZeroReport(TenantOwned):
    """One unit's report for one period: no anomaly (零报告) or an anomaly."""

    class Status(models.TextChoices):
        NONE = "none", _("no anomaly")
        ANOMALY = "anomaly", _("anomaly")

    class Source(models.TextChoices):
        WEB = "web", _("web form")
        API = "api", _("API")
        CSV = "csv", _("CSV upload")

    unit = models.ForeignKey(ReportingUnit, on_delete=models.PROTECT, related_name="reports")
    period = models.DateField(_("period"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    is_late = models.BooleanField(_("late"), default=False)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.WEB)
    anomaly = models.ForeignKey(
        "Anomaly",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("anomaly"),
    )

    class Meta:
        ordering = ["-period", "unit__code"]
        verbose_name = _("zero-report")
        verbose_name_plural = _("zero-reports")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="zeroreport_one_per_unit_and_period"),
        ]
        indexes = [models.Index(fields=["bureau", "period"], name="zeroreport_bureau_period_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.status}"


class ZeroReportRevision(TenantOwned):
    """Every submission of a report, kept when a later one replaces it."""

    report = models.ForeignKey(ZeroReport, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=ZeroReport.Status.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    is_late = models.BooleanField(default=False)
    source = models.CharField(max_length=8, choices=ZeroReport.Source.choices)
    content = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["report", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["report", "revision"], name="zeroreportrevision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} r{self.revision}"


class MissingReportReminder(TenantOwned):
    """A missing report that was chased: stops the beat job from reminding twice."""

    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    reminded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="missingreminder_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period}"


# --- anomalies (异常) ---------------------------------------------------------------------


class Anomaly(TenantOwned):
    """An anomaly and its verification lifecycle.

    reported → verifying → verified → assessed → tracking | closed, with
    "returned" for revision at each review step (services.anomaly_workflow holds the table).

    Visibility: anomalies are bureau data. The bureau's own people read all of
    them; national units and centres (CENC, IGP, SMC) read a province's anomalies
    once its discipline group has assessed them (assessed, tracking, or closed
    after assessment: ``PUBLISHED_Q``), with their verification report and
    ratings, and never change them; another province reads none. Reporting
    units and zero-reports are never read outside their bureau.
    """

    class State(models.TextChoices):
        REPORTED = "reported", _("reported")
        RETURNED = "returned", _("returned for revision")
        VERIFYING = "verifying", _("verifying")
        VERIFIED = "verified", _("verified")
        ASSESSED = "assessed", _("assessed")
        TRACKING = "tracking", _("tracking")
        CLOSED = "closed", _("closed")

    class Source(models.TextChoices):
        ZERO_REPORT = "zero_report", _("zero-report")
        PRODUCT = "product", _("automatic product")
        EXPERT = "expert", _("expert")

    class Decision(models.TextChoices):
        TRACK = "track", _("keep tracking")
        CLOSE = "close", _("close")

    # National units read a province's anomalies once its discipline group has assessed them.
    PUBLISHED_Q = Q(state__in=["assessed", "tracking"]) | Q(state="closed", assessed_at__isnull=False)

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    kind = models.CharField(_("kind"), max_length=16, default="macro", help_text=_("macro or instrumental"))
    unit = models.ForeignKey(
        ReportingUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="anomalies",
        verbose_name=_("reporting unit"),
    )
    station = models.CharField(_("station"), max_length=100, blank=True)
    observation_item = models.CharField(_("observation item"), max_length=60)
    # the series the anomaly is seen in (its curve on the anomaly page); empty for macroscopic
    # anomalies and for reports that predate the master data
    channel = models.ForeignKey(
        "observations.Channel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="anomalies",
        verbose_name=pgettext_lazy("observation series", "channel"),
    )
    discipline = models.ForeignKey(
        Discipline, on_delete=models.PROTECT, related_name="+", verbose_name=_("discipline")
    )
    onset_at = models.DateTimeField(_("onset time"))
    description = models.TextField(_("description"))
    location = gis_models.PointField(_("location"), srid=4326, null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REPORTED)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    product_reference = models.CharField(_("product reference"), max_length=100, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verifier"),
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    verify_due_at = models.DateTimeField(_("verification due"), null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    assess_due_at = models.DateTimeField(_("assessment due"), null=True, blank=True)
    assessed_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-onset_at", "-id"]
        verbose_name = _("anomaly")
        verbose_name_plural = _("anomalies")
        indexes = [models.Index(fields=["bureau", "state"], name="anomaly_bureau_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="verifying") | Q(assignee__isnull=False, verify_due_at__isnull=False),
                name="anomaly_verifying_has_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.observation_item} {self.onset_at:%Y-%m-%d}"

    @property
    def place(self) -> str:
        return self.unit.name if self.unit_id else self.station

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED

    def is_overdue(self, now: datetime) -> bool:
        if self.state == self.State.VERIFYING:
            return bool(self.verify_due_at and self.verify_due_at < now)
        if self.state == self.State.VERIFIED:
            return bool(self.assess_due_at and self.assess_due_at < now)
        return False


class Attachment(TenantOwned):
    """A photo, file or figure of an anomaly or its verification report."""

    class Purpose(models.TextChoices):
        EVIDENCE = "evidence", _("photo or file")
        FIGURE = "figure", _("verification figure")

    anomaly = models.ForeignKey(Anomaly, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.EVIDENCE)
    file = models.FileField(upload_to="disciplines/%Y/%m/", max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class CheckResult(models.TextChoices):
    RULED_OUT = "ruled_out", _("ruled out")
    PRESENT = "present", _("interference found")
    UNCHECKED = "unchecked", _("could not be checked")


class VerificationReport(TenantOwned):
    """异常核实报告: the verifier's findings on one anomaly."""

    class Conclusion(models.TextChoices):
        PRECURSORY = "precursory", _("precursory anomaly")
        INTERFERENCE = "interference", _("interference")
        UNDETERMINED = "undetermined", _("undetermined")

    anomaly = models.OneToOneField(Anomaly, on_delete=models.CASCADE, related_name="verification")
    observation = models.CharField(_("observation (station and item)"), max_length=200, blank=True)
    instrument = models.CharField(_("instrument"), max_length=200, blank=True)
    onset_at = models.DateTimeField(_("onset time"), null=True, blank=True)
    shape = models.TextField(_("shape of the anomaly"), blank=True)
    amplitude = models.CharField(_("amplitude"), max_length=200, blank=True)
    checks = models.JSONField(_("interference checks"), default=dict, blank=True)
    analysis = models.TextField(_("analysis"), blank=True)
    conclusion = models.CharField(_("conclusion"), max_length=14, choices=Conclusion.choices, blank=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("verifier")
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification report")
        verbose_name_plural = _("verification reports")

    def __str__(self) -> str:
        return f"verification of {self.anomaly_id}"

    def check_rows(self) -> list[dict[str, str]]:
        """The nine checks in form order, each with its result and finding."""
        rows = []
        for factor in InterferenceFactor:
            entry = self.checks.get(factor.value) or {}
            result = entry.get("result", "")
            rows.append(
                {
                    "factor": factor.value,
                    "label": str(factor.label),
                    "result": result,
                    "result_label": str(CheckResult(result).label) if result in CheckResult.values else "",
                    "finding": entry.get("finding", ""),
                }
            )
        return rows


class AssessmentRating(TenantOwned):
    """One expert's line on the discipline assessment form (学科组评议表)."""

    class Credibility(models.TextChoices):
        A = "A", _("A: credible")
        B = "B", _("B: fairly credible")
        C = "C", _("C: doubtful")

    class Relation(models.TextChoices):
        CLOSE = "close", _("closely related to seismicity")
        POSSIBLE = "possible", _("possibly related")
        UNRELATED = "unrelated", _("unrelated")
        UNCLEAR = "unclear", _("unclear")

    anomaly = models.ForeignKey(Anomaly, on_delete=models.CASCADE, related_name="ratings")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("expert")
    )
    credibility = models.CharField(_("credibility"), max_length=1, choices=Credibility.choices)
    relation = models.CharField(_("relation to seismicity"), max_length=10, choices=Relation.choices)
    recommendation = models.CharField(_("recommendation"), max_length=8, choices=Anomaly.Decision.choices)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["anomaly", "expert"], name="assessmentrating_one_per_expert"),
        ]

    def __str__(self) -> str:
        return f"{self.anomaly_id} {self.expert_id} {self.credibility}"
