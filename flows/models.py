"""Flows (流程): graphs of registered node types that analysts compose without code.

A :class:`Flow` belongs to a bureau; each save of its graph is an immutable
:class:`FlowVersion` (``definition``: ``{"nodes": [{"id", "type", "params", "x", "y"}],
"edges": [{"from": "<node>.<port>", "to": "<node>.<port>"}]}``). A :class:`FlowRun`
executes one version on the Celery workers (``flows.services.runs``), recording each
node's :class:`NodeRun` (status, input hash, output, duration, attempts, error and,
when a stored result was reused, which node run computed it).

Flows are the bureau's own working material: ``PUBLISHED_Q`` is None (the flow store,
issue 14 part B, shares copies between bureaus).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class Flow(TenantOwned):
    """A bureau's flow: its name, its current version, and whether its triggers start runs."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, default="")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_version = models.ForeignKey(
        "flows.FlowVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Only a bureau admin turns triggers on (flows.services.flows.flow_set_triggers, audited).
    triggers_enabled = models.BooleanField(_("triggers enabled"), default=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("flow")
        verbose_name_plural = _("flows")
        constraints = [models.UniqueConstraint(fields=["bureau", "name"], name="flow_unique_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("flows:flow-detail", args=[self.pk])


class FlowVersion(TenantOwned):
    """One saved graph of a flow; never changed once written."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(_("comment"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["flow", "-number"]
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="flowversion_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number}"


class FlowRunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class FlowRun(TenantOwned):
    """One execution of a flow version (moved through the ``flow_run`` workflow)."""

    Status = FlowRunStatus

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey(FlowVersion, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        _("status"), max_length=16, choices=FlowRunStatus.choices, default=FlowRunStatus.QUEUED
    )
    # What started it: {"kind": "manual"|"schedule"|"quake"|"quick_report"|"series"|"anomaly", ...}
    trigger = models.JSONField(_("trigger"), default=dict, blank=True)
    input = models.JSONField(_("input"), default=dict, blank=True)
    # A dry run computes but does not notify, create or publish (the editor's preview).
    dry_run = models.BooleanField(_("dry run"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flow run")
        verbose_name_plural = _("flow runs")
        indexes = [
            models.Index(fields=["flow", "-created_at"], name="flowrun_flow_idx"),
            models.Index(fields=["status", "queued_at"], name="flowrun_stale_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} run {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("flows:run-detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (FlowRunStatus.SUCCEEDED, FlowRunStatus.FAILED, FlowRunStatus.CANCELLED)


class NodeStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped")


class NodeRun(TenantOwned):
    """One node of one run. Its status is the run's bookkeeping (not a person's workflow):
    ``flows.services.runs`` moves it under a row lock, and the run's audit trail tells the story."""

    Status = NodeStatus

    run = models.ForeignKey(FlowRun, on_delete=models.CASCADE, related_name="nodes")
    node_id = models.CharField(_("node"), max_length=40)
    node_type = models.CharField(_("node type"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=NodeStatus.choices, default=NodeStatus.PENDING
    )
    input_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # Small JSON; big outputs are files under the run's directory, named here.
    output = models.JSONField(_("output"), null=True, blank=True)
    duration_s = models.FloatField(_("duration (s)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(_("error"), blank=True, default="")
    reused_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="reuses"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("node run")
        verbose_name_plural = _("node runs")
        constraints = [
            models.UniqueConstraint(fields=["run", "node_id"], name="noderun_unique_node"),
        ]
        indexes = [
            models.Index(
                fields=["bureau", "node_type", "input_hash"],
                condition=Q(status="succeeded"),
                name="noderun_reuse_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id}.{self.node_id} ({self.status})"


# The flow store's models live in their own module (issue 14 part B); imported here so
# Django finds them as models of this app.
from .store_models import (  # noqa: E402
    StoreEntry,
    StoreInstall,
    StoreRating,
    StoreScreenshot,
    StoreVersion,
)

__all__ = [
    "Flow",
    "FlowRun",
    "FlowRunStatus",
    "FlowVersion",
    "NodeRun",
    "NodeStatus",
    "StoreEntry",
    "StoreInstall",
    "StoreRating",
    "StoreScreenshot",
    "StoreVersion",
]
