"""Consultation meetings (会商): meetings and their material, discipline opinions, the live
room's event log, the conclusion with its forecasts, votes, and the consultation report
with its sign-off workflow. Per-bureau settings for emergency meetings opened by quakes.

Other apps' objects (catalog events, anomalies, products, special-topic reports) are
referenced loosely through :class:`MeetingMaterial` (kind + id + title + url), so this
app never depends on their migrations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _

from portal.links import safe_link
from portal.tenancy import TenantOwned

if TYPE_CHECKING:
    from portal.tenancy import Actor


def _joint_meetings_q(actor: Actor, prefix: str = "") -> Q | None:
    """Rows of joint meetings the actor's bureau takes part in."""
    if actor.bureau is None:
        return None
    ids = Meeting.joint_bureaus.through.objects.filter(bureau_id=actor.bureau_id).values("meeting_id")
    return Q(**{f"{prefix}id__in" if not prefix else f"{prefix}_id__in": ids})


class MeetingKind(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")
    MID_YEAR = "mid_year", _("mid-year")
    ANNUAL = "annual", _("annual")
    POST_EARTHQUAKE = "post_earthquake", _("post-earthquake trend")
    EMERGENCY = "emergency", _("emergency")
    SPECIAL_TOPIC = "special_topic", _("special topic")


class Likelihood(models.TextChoices):
    """The trend judgement's likelihood, in the words the bureaus use (可能性较小/中等/较大)."""

    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class Meeting(TenantOwned):
    """A consultation meeting of one bureau, or a joint one of several bureaus of a zone."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        OPEN = "open", _("in session")
        CLOSED = "closed", _("closed")

    kind = models.CharField(_("type"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    # null only for a meeting a quake opened in a bureau with nobody on duty to chair it
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorder"),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("participants")
    )
    joint_bureaus = models.ManyToManyField(
        "portal.Bureau", blank=True, related_name="+", verbose_name=_("joint bureaus")
    )
    agenda = models.TextField(_("agenda"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The quake that opened an emergency or post-earthquake meeting (catalog event id).
    trigger_event_id = models.BigIntegerField(null=True, blank=True)
    # Last sequence number handed out in the live room's event log (see RoomEvent).
    last_seq = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("consultation meeting")
        verbose_name_plural = _("consultation meetings")
        constraints = [
            models.UniqueConstraint(
                fields=["bureau", "trigger_event_id"],
                condition=Q(trigger_event_id__isnull=False),
                name="meeting_one_per_event_per_bureau",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("consultations:meeting-detail", args=[self.pk])

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        return _joint_meetings_q(actor)

    @property
    def is_joint(self) -> bool:
        return self.joint_bureaus.exists()


class MeetingRepresentative(models.Model):
    """The person who speaks for a discipline at the meeting (学科代表)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="representatives")
    discipline = models.ForeignKey("portal.Discipline", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["discipline__order", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "discipline", "user"], name="representative_once"),
        ]

    def __str__(self) -> str:
        return f"{self.discipline}: {self.user}"


class MeetingMaterial(TenantOwned):
    """A product, anomaly, event, file or report put before the meeting.

    Referenced by kind and id with the title and link it had when attached, so the
    meeting keeps reading well whatever happens to the other app's object.
    """

    class Kind(models.TextChoices):
        PRODUCT = "product", _("product")
        ANOMALY = "anomaly", _("anomaly")
        EVENT = "event", _("earthquake")
        FILE = "file", _("file")
        REPORT = "report", _("report")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to="consultations/%Y/%m/", blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind", "object_id"],
                condition=~Q(object_id=""),
                name="material_once_per_meeting",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def href(self) -> str:
        """Where the material is read: its file through the view that applies the meeting's
        visibility, or its link when that is http(s) or a page of the portal; else empty."""
        if self.file:
            return reverse("consultations:material-file", args=[self.pk])
        return safe_link(self.url)

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        return _joint_meetings_q(actor, prefix="meeting")


class DisciplineOpinion(TenantOwned):
    """One discipline's opinion (学科意见) for a meeting; revised in place, revisions kept.

    ``bureau`` is the expert's bureau: in a joint meeting each bureau's discipline
    group may give its own opinion.
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="opinions")
    discipline = models.ForeignKey("portal.Discipline", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField(_("observations"))
    anomalies_cited = models.JSONField(_("anomalies cited"), default=list, blank=True)
    window_start = models.DateField(_("forecast window start"), null=True, blank=True)
    window_end = models.DateField(_("forecast window end"), null=True, blank=True)
    regions = models.MultiPolygonField(_("regions"), srid=4326, null=True, blank=True)
    min_magnitude = models.DecimalField(
        _("minimum magnitude"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    max_magnitude = models.DecimalField(
        _("maximum magnitude"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    likelihood = models.CharField(_("likelihood"), max_length=8, choices=Likelihood.choices, blank=True)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["discipline__order", "bureau__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "bureau", "discipline"], name="opinion_one_per_discipline_and_bureau"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.discipline}"

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        return _joint_meetings_q(actor, prefix="meeting")


class OpinionRevision(models.Model):
    """A snapshot of an opinion as it stood before it was revised (and as first submitted)."""

    opinion = models.ForeignKey(DisciplineOpinion, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    content = models.JSONField()

    class Meta:
        ordering = ["opinion", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["opinion", "revision"], name="opinion_revision_unique"),
        ]


class RoomEvent(models.Model):
    """The live room's log: every event has a per-meeting sequence number, so a client
    that reconnects asks for what came after the last number it saw."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="room_events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=32)
    payload = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="room_event_seq_unique")]


class RoomPresence(models.Model):
    """One open websocket of a person in a meeting room (several tabs: several rows)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    joined_at = models.DateTimeField(auto_now_add=True)


class Conclusion(TenantOwned):
    """The meeting's conclusion (会商意见): the chair's text and the forecast records."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="conclusion")
    text = models.TextField(_("conclusion"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("consultation conclusion")

    def __str__(self) -> str:
        return f"{self.meeting}"

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        return _joint_meetings_q(actor, prefix="meeting")


class Forecast(TenantOwned):
    """A forecast of the conclusion: a window, regions, a magnitude range and a likelihood.

    Kept as data so that forecast scoring (预报效能检验) can later compare it with the
    catalog (``selectors.forecasts_for_scoring``).
    """

    conclusion = models.ForeignKey(Conclusion, on_delete=models.CASCADE, related_name="forecasts")
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    region = models.MultiPolygonField(_("region"), srid=4326)
    min_magnitude = models.DecimalField(_("minimum magnitude"), max_digits=3, decimal_places=1)
    max_magnitude = models.DecimalField(
        _("maximum magnitude"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    likelihood = models.CharField(_("likelihood"), max_length=8, choices=Likelihood.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    @classproperty
    def PUBLISHED_Q(cls) -> Q:  # noqa: N802, N805 - the name portal/tenancy.py reads on every model
        """Published with its meeting's report: national units score issued forecasts."""
        issued = ConsultationReport.objects.filter(status__in=[ReportStatus.ISSUED, ReportStatus.ARCHIVED])
        return Q(conclusion__meeting_id__in=issued.values("meeting_id"))

    class Meta:
        ordering = ["window_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")), name="forecast_window_order"
            ),
            models.CheckConstraint(
                condition=Q(max_magnitude__isnull=True) | Q(max_magnitude__gte=models.F("min_magnitude")),
                name="forecast_magnitude_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window_start}–{self.window_end} M{self.min_magnitude}"


class Vote(models.Model):
    """A show of hands on the conclusion; one per person per meeting, changeable while open."""

    class Choice(models.TextChoices):
        AGREE = "agree", _("agree")
        DISAGREE = "disagree", _("disagree")
        ABSTAIN = "abstain", _("abstain")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    remark = models.CharField(_("remark"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="vote_one_per_person")]


class Comment(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for review")
    RETURNED = "returned", _("returned with comments")
    REVIEWED = "reviewed", _("reviewed")
    SIGNED_OFF = "signed_off", _("signed off")
    ISSUED = "issued", _("issued")
    ARCHIVED = "archived", _("archived")


class ConsultationReport(TenantOwned):
    """The report of a meeting's conclusion, moving draft → … → issued → archived.

    From sign-off on the report is frozen: ``content`` holds the snapshot that was
    signed and ``content_sha256`` its digest; a correction is a new version.
    """

    FROZEN = (ReportStatus.SIGNED_OFF, ReportStatus.ISSUED, ReportStatus.ARCHIVED)

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField(default=1)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_note = models.TextField(_("what this version corrects"), blank=True)
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("issue number"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    content = models.JSONField(default=dict, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    PUBLISHED_Q = Q(status__in=[ReportStatus.ISSUED, ReportStatus.ARCHIVED])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("consultation report")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="report_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @classmethod
    def shared_q(cls, actor: Actor) -> Q | None:
        return _joint_meetings_q(actor, prefix="meeting")

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN


class ReportSubmission(models.Model):
    """What a report said each time it was submitted for review: the reviewer reads the
    changes of this submission against the one before (or the version it corrects)."""

    report = models.ForeignKey(ConsultationReport, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_submission_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} #{self.number}"


class EmergencySettings(TenantOwned):
    """How a quake's meeting opens for this bureau: emergency or post-earthquake, who is on duty.

    Whether a quake opens one at all (threshold, distance, meetings on or off) is the
    bureau's ``catalog.AlertRule``, decided in ``catalog.arrival``.
    """

    emergency_magnitude = models.DecimalField(
        _("emergency magnitude"),
        max_digits=3,
        decimal_places=1,
        default=5.0,
        help_text=_(
            "At or above this magnitude an emergency meeting opens; below, a post-earthquake trend meeting."
        ),
    )
    on_duty = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("on duty")
    )

    class Meta:
        verbose_name = _("emergency meeting settings")
        constraints = [models.UniqueConstraint(fields=["bureau"], name="emergency_settings_one_per_bureau")]

    def __str__(self) -> str:
        return f"{self.bureau} ≥M{self.emergency_magnitude}"
