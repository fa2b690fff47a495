"""Post-quake trend cases (震后趋势判定): the 30-minute clock and the automatic first draft.

A case is opened, once per bureau and event, by the reaction to ``AlertAction.POST_QUAKE_CASE``
(``postquake.tasks.open_case_task``, registered with ``catalog.arrival``). Its clock runs from
the receipt of the event's first quick report; the first opinion is due ``due_minutes`` later
(:class:`PostQuakeSettings`, default 30). Its state moves only through the workflow in
``postquake.services`` (open -> opinion_issued -> closed).

The chair turns the draft into opinions (:class:`PostQuakeOpinion`, 震后趋势判定意见): the
first, then updates proposed by the re-evaluations (:class:`PostQuakeReevaluation`, once per
case and trigger); each issued opinion is pushed over the bureau's channels
(:class:`OpinionPush`, one row per channel).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.tenancy import TenantOwned
from reports.models import PushAttempt

from .science import GENERIC

DEFAULT_DUE_MINUTES = 30
#: Re-evaluations after the clock start (hours) and the aftershock magnitude that triggers one.
DEFAULT_REEVALUATE_HOURS = (2, 24, 72)
DEFAULT_REEVALUATE_MAGNITUDE = 4.0


def default_reevaluate_hours() -> list[int]:
    return list(DEFAULT_REEVALUATE_HOURS)


DEFAULT_REMIND_MINUTES = 20


class CaseState(models.TextChoices):
    OPEN = "open", _("open")
    OPINION_ISSUED = "opinion_issued", _("opinion issued")
    CLOSED = "closed", pgettext_lazy("post-quake case", "closed")


class DraftStatus(models.TextChoices):
    PENDING = "pending", _("drafting")
    DONE = "done", _("drafted")
    FAILED = "failed", _("draft failed")


class PostQuakeSettings(TenantOwned):
    """A bureau's post-quake settings: the deadline and its own Reasenberg-Jones parameters
    (default: the generic California parameters of Reasenberg and Jones 1989)."""

    due_minutes = models.PositiveIntegerField(
        _("first opinion due after (minutes)"), default=DEFAULT_DUE_MINUTES
    )
    rj_a = models.FloatField(_("Reasenberg-Jones a"), default=GENERIC.a)
    rj_b = models.FloatField(_("Reasenberg-Jones b"), default=GENERIC.b)
    rj_p = models.FloatField(_("Reasenberg-Jones p"), default=GENERIC.p)
    rj_c = models.FloatField(_("Reasenberg-Jones c (days)"), default=GENERIC.c)
    # The duty team and the chairs are reminded this long after the clock starts when no
    # opinion is issued yet (issue 15: at 20 minutes), and again at the deadline.
    remind_minutes = models.PositiveIntegerField(
        _("reminder after (minutes)"), default=DEFAULT_REMIND_MINUTES
    )
    # Fitted parameters are given once the sequence has at least this many aftershocks.
    min_fit_events = models.PositiveIntegerField(_("aftershocks needed for a fit"), default=20)
    # Off: the chair issues the opinion; on: the chair submits it and an approver signs it off.
    signoff_required = models.BooleanField(_("opinions need an approver's sign-off"), default=False)
    reevaluate_hours = models.JSONField(
        _("re-evaluate after (hours from the clock start)"), default=default_reevaluate_hours
    )
    reevaluate_magnitude = models.FloatField(
        _("re-evaluate after aftershocks from magnitude"), default=DEFAULT_REEVALUATE_MAGNITUDE
    )

    class Meta:
        verbose_name = _("post-quake settings")
        verbose_name_plural = _("post-quake settings")
        constraints = [models.UniqueConstraint(fields=["bureau"], name="postquakesettings_one_per_bureau")]

    def __str__(self) -> str:
        return f"{self.bureau_id}: {self.due_minutes} min"


class PostQuakeCase(TenantOwned):
    """One bureau's post-quake trend case on one quake."""

    event = models.ForeignKey(
        "catalog.Event", on_delete=models.PROTECT, related_name="+", verbose_name=_("event")
    )
    opened_at = models.DateTimeField(_("opened at"))
    clock_start = models.DateTimeField(_("clock started at"))
    due_at = models.DateTimeField(_("first opinion due at"))
    state = models.CharField(_("state"), max_length=16, choices=CaseState.choices, default=CaseState.OPEN)
    issued_at = models.DateTimeField(_("opinion issued at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    draft = models.JSONField(_("draft"), default=dict, blank=True)
    draft_status = models.CharField(
        _("draft status"), max_length=16, choices=DraftStatus.choices, default=DraftStatus.PENDING
    )
    drafted_at = models.DateTimeField(_("drafted at"), null=True, blank=True)
    # Stamped once each by postquake.services.reminders (never again, audited): the reminder
    # before the deadline, and the deadline passing with no opinion (duty team reminded
    # again, the bureau's admins told).
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    deadline_passed_at = models.DateTimeField(_("deadline passed, told at"), null=True, blank=True)
    # The draft is a background job (postquake.services.draft_job): why it failed, for the
    # person who drafts it again, and when it was last asked for (None: when the case opened),
    # for the watchdog.
    draft_error = models.CharField(_("why the draft failed"), max_length=500, blank=True, default="")
    draft_requested_at = models.DateTimeField(_("draft asked for at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("post-quake case")
        verbose_name_plural = _("post-quake cases")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "event"], name="postquakecase_one_per_bureau_event")
        ]
        indexes = [models.Index(fields=["bureau", "state"], name="postquakecase_bureau_state_idx")]

    def __str__(self) -> str:
        return f"{self.bureau_id} {self.event_id} {self.state}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("postquake:case-detail", kwargs={"case_id": self.pk})


class OpinionKind(models.TextChoices):
    FIRST = "first", _("first opinion")
    UPDATE = "update", _("updated opinion")


class OpinionState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("post-quake opinion", "proposed")
    SUBMITTED = "submitted", _("awaiting sign-off")
    ISSUED = "issued", pgettext_lazy("post-quake opinion", "issued")


class PostQuakeOpinion(TenantOwned):
    """One trend opinion (震后趋势判定意见) of a case: the first (number 1), then updates.

    ``text`` stays empty until the chair writes it: until then it is shown prefilled from
    ``snapshot`` in the reader's language, and it is fixed when the opinion is submitted or
    issued. Issued opinions never change. At most one opinion of a case is in progress
    (proposed or awaiting sign-off).
    """

    case = models.ForeignKey(PostQuakeCase, on_delete=models.CASCADE, related_name="opinions")
    number = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=8, choices=OpinionKind.choices)
    # What proposed it (or last recomputed it): "first", "2h", "aftershock <id> M4.3", ...
    trigger = models.CharField(_("trigger"), max_length=200)
    snapshot = models.JSONField(_("draft it was proposed from"), default=dict)
    # Against the last issued opinion: sequence type, aftershocks, parameters, probabilities.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    text = models.TextField(_("opinion"), blank=True)
    # The chair's structured judgement (empty: the draft's, filled when the text is fixed).
    sequence_type = models.CharField(_("sequence type"), max_length=40, blank=True)
    expected_max_magnitude = models.FloatField(_("expected largest aftershock"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=OpinionState.choices, default=OpinionState.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    recomputed_at = models.DateTimeField(_("recomputed at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(_("returned with"), blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        ordering = ["case", "number"]
        verbose_name = _("post-quake opinion")
        verbose_name_plural = _("post-quake opinions")
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="postquakeopinion_number_per_case"),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(state__in=["draft", "submitted"]),
                name="postquakeopinion_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.number} {self.state}"

    def get_absolute_url(self) -> str:
        return f"{self.case.get_absolute_url()}#opinion-{self.number}"


class ReevaluationOutcome(models.TextChoices):
    PROPOSED = "proposed", _("update proposed")
    REFRESHED = "refreshed", _("proposal recomputed")
    WAITING = "waiting", _("recomputed; an opinion awaits sign-off")
    IN_FIRST_DRAFT = "in_first_draft", _("already in the first draft")


class PostQuakeReevaluation(TenantOwned):
    """One trigger of a case's re-evaluation (a time after the clock start, or an aftershock),
    fired once: the unique key is the guarantee."""

    case = models.ForeignKey(PostQuakeCase, on_delete=models.CASCADE, related_name="reevaluations")
    key = models.CharField(_("trigger"), max_length=120)  # "2h", "aftershock <public_id>"
    label = models.CharField(_("trigger"), max_length=200)  # "2h", "aftershock <public_id> M4.3"
    event = models.ForeignKey(
        "catalog.Event", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fired_at = models.DateTimeField(_("fired at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReevaluationOutcome.choices)
    opinion = models.ForeignKey(
        PostQuakeOpinion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["case", "fired_at", "id"]
        verbose_name = _("re-evaluation")
        verbose_name_plural = _("re-evaluations")
        constraints = [
            models.UniqueConstraint(fields=["case", "key"], name="postquakereevaluation_once_per_trigger")
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.key}"


class OpinionPush(TenantOwned):
    """Delivery of an issued opinion over one channel (the special-topic report's channels);
    every try is counted and the last error kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    opinion = models.ForeignKey(PostQuakeOpinion, on_delete=models.CASCADE, related_name="pushes")
    # The special-topic report's channels: in-app, e-mail, WeChat Work group bot.
    channel = models.CharField(_("channel"), max_length=16, choices=PushAttempt.Channel.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    target = models.CharField(_("to"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=4)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["opinion", "channel"]
        verbose_name = _("opinion push")
        verbose_name_plural = _("opinion pushes")
        constraints = [
            models.UniqueConstraint(fields=["opinion", "channel"], name="opinionpush_one_per_channel")
        ]
        indexes = [models.Index(fields=["bureau", "status"], name="opinionpush_bureau_status_idx")]

    def __str__(self) -> str:
        return f"{self.opinion_id} {self.channel}: {self.status}"
