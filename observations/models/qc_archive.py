"""The monthly QC archive of a station (质控运维档案): one PDF per station and month with the
month's availability per channel and day, the flags by kind, the reviews, the instrument
changes and a gaps summary (``observations.services.qc_archive``).

``status`` is the generation job's: queued -> running -> done (``document`` holds the PDF,
rendered through ``portal.documents``) or failed (``error`` says why). Asking again for a
month that is done or failed queues it anew (the data may have been reviewed since).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.tenancy import TenantOwned


class QcArchive(TenantOwned):
    """One station's QC archive of one month; ``bureau`` is the station's."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being generated")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    station = models.ForeignKey("observations.Station", on_delete=models.CASCADE, related_name="qc_archives")
    month = models.DateField(_("month"), help_text=_("the first day of the month"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    document = models.ForeignKey(
        "portal.RenderedDocument", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)

    class Meta:
        ordering = ["station", "-month"]
        verbose_name = _("QC archive")
        verbose_name_plural = _("QC archives")
        constraints = [
            models.UniqueConstraint(fields=["station", "month"], name="qc_archive_once"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="qc_archive_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.month:%Y-%m}"
