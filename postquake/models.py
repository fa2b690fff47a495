"""Post-quake trend cases (震后趋势判定): the 30-minute clock and the automatic first draft.

A case is opened, once per bureau and event, by the reaction to ``AlertAction.POST_QUAKE_CASE``
(``postquake.tasks.open_case_task``, registered with ``catalog.arrival``). Its clock runs from
the receipt of the event's first quick report; the first opinion is due ``due_minutes`` later
(:class:`PostQuakeSettings`, default 30). Its state moves only through the workflow in
``postquake.services`` (open -> opinion_issued -> closed).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.tenancy import TenantOwned

from .science import GENERIC

DEFAULT_DUE_MINUTES = 30


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
    # Fitted parameters are given once the sequence has at least this many aftershocks.
    min_fit_events = models.PositiveIntegerField(_("aftershocks needed for a fit"), default=20)

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
