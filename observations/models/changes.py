"""Proposed changes to the master data (主数据变更): one bureau admin proposes, a second
admin of the same bureau approves (the change is applied) or rejects it.

A change names its target (station, instrument or channel), what to do (create, update,
close), the object for an update or a close, the proposed values (JSON, validated when
proposed and again when approved) and a reason. Once applied it keeps the values before
and after: the approved changes of a station, its instruments and channels are the
station's history. Changes made by the system (data migrations, the demo, commands) are
recorded the same way, approved, with no proposer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.tenancy import TenantOwned


class MasterDataChange(TenantOwned):
    """One proposed change of a station, instrument or channel, and its decision."""

    class Target(models.TextChoices):
        STATION = "station", _("station")
        INSTRUMENT = "instrument", _("instrument")
        CHANNEL = "channel", pgettext_lazy("observations", "channel")

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        CLOSE = "close", pgettext_lazy("observations", "close")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved and applied")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    target = models.CharField(_("target"), max_length=12, choices=Target.choices)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    # the row updated or closed; for a create, the row made once applied
    object_id = models.BigIntegerField(_("object"), null=True, blank=True)
    # the station concerned (a channel's or instrument's station): its history lists the change
    station = models.ForeignKey(
        "observations.Station", on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    values = models.JSONField(_("proposed values"), default=dict, blank=True)
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(pgettext_lazy("observations", "comment"), blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("master data change")
        verbose_name_plural = _("master data changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(action="create") | Q(object_id__isnull=False),
                name="masterdatachange_object_for_update_and_close",
            ),
        ]
        indexes = [models.Index(fields=["bureau", "state"], name="masterdatachange_queue_idx")]

    def __str__(self) -> str:
        return f"{self.target} {self.action} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("observations:change-detail", args=[self.pk])
