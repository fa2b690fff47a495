"""Which observations have forecast skill (预报效能检验): the parameters of the test per bureau
and discipline, and the stored score of each channel.

A :class:`SkillScore` belongs to the bureau that *reads* it (``bureau``), which is not always
the bureau of its channel: a province scores its own channels from all of its verified
anomalies; a national unit (CENC) scores the provinces' channels from what it may read of
their anomalies, i.e. the published (assessed) ones (``disciplines.Anomaly.PUBLISHED_Q``,
applied by ``visible_to``), with its own parameters. Each bureau therefore reads only its
own rows (``PUBLISHED_Q`` is None): what a national unit reads of a province's skill is
computed from the province's published material only, never from its drafts.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.tenancy import TenantOwned

# Defaults of the efficacy test per discipline: M >= m within R km of the station, an alarm
# good for T days after its onset. Source: the usual CEA practice of the medium- and
# short-term efficacy tests of precursory items (映震效能检验): target quakes M >= 5.0 around
# the station and a forecast window of about half a year, as agreed for this portal (no
# normative table of these numbers was at hand; each bureau's admin edits them).
# Fluids, deformation and electromagnetism: M >= 5.0 within 200 km for 180 days;
# seismological items look further (300 km): their anomalies are regional patterns rather
# than point signals.
DEFAULT_PARAMS: dict[str, tuple[float, float, int]] = {
    "seismology": (5.0, 300.0, 180),
    "deformation": (5.0, 200.0, 180),
    "fluid": (5.0, 200.0, 180),
    "electromagnetism": (5.0, 200.0, 180),
}
FALLBACK_PARAMS = (5.0, 200.0, 180)


class SkillSettings(TenantOwned):
    """The test's parameters of one discipline in one bureau (defaults when no row)."""

    discipline = models.ForeignKey(
        "portal.Discipline", on_delete=models.PROTECT, related_name="+", verbose_name=_("discipline")
    )
    magnitude = models.FloatField(_("minimum magnitude"))
    radius_km = models.FloatField(_("radius (km)"))
    days = models.PositiveIntegerField(_("alarm window (days)"))

    class Meta:
        verbose_name = _("forecast skill settings")
        verbose_name_plural = _("forecast skill settings")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "discipline"], name="skillsettings_one_per_discipline"),
            models.CheckConstraint(
                condition=Q(magnitude__gte=0, magnitude__lte=9.5)
                & Q(radius_km__gt=0, radius_km__lte=2000)
                & Q(days__gte=1, days__lte=3650),
                name="skillsettings_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bureau_id} {self.discipline_id}: M{self.magnitude} {self.radius_km} km {self.days} d"


class SkillScore(TenantOwned):
    """The score of one channel's alarms, as read by ``bureau``, with the parameters it was
    computed with (one row per reading bureau and channel; a recompute replaces it)."""

    channel = models.ForeignKey(
        "observations.Channel",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=pgettext_lazy("observation series", "channel"),
    )
    discipline = models.ForeignKey(
        "portal.Discipline", on_delete=models.PROTECT, related_name="+", verbose_name=_("discipline")
    )
    magnitude = models.FloatField(_("minimum magnitude"))
    radius_km = models.FloatField(_("radius (km)"))
    days = models.PositiveIntegerField(_("alarm window (days)"))
    period_start = models.DateTimeField(_("observed from"))
    period_end = models.DateTimeField(_("observed until"))
    alarms = models.PositiveIntegerField(_("alarms"))
    hits = models.PositiveIntegerField(_("hits"))
    false_alarms = models.PositiveIntegerField(_("false alarms"))
    quakes = models.PositiveIntegerField(_("target quakes"))
    quakes_hit = models.PositiveIntegerField(_("quakes predicted"))
    misses = models.PositiveIntegerField(_("misses"))
    alarm_fraction = models.FloatField(_("alarm time fraction"))
    miss_rate = models.FloatField(_("miss rate"), null=True)
    r_score = models.FloatField(_("R score"), null=True)
    r0 = models.FloatField("R0", null=True)
    gain = models.FloatField(_("probability gain"), null=True)
    hit_anomaly_ids = ArrayField(models.BigIntegerField(), default=list)
    false_alarm_anomaly_ids = ArrayField(models.BigIntegerField(), default=list)
    hit_event_ids = ArrayField(models.BigIntegerField(), default=list)
    missed_event_ids = ArrayField(models.BigIntegerField(), default=list)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = [models.F("r_score").desc(nulls_last=True), "channel_id"]
        verbose_name = _("forecast skill score")
        verbose_name_plural = _("forecast skill scores")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "channel"], name="skillscore_one_per_channel"),
        ]
        indexes = [models.Index(fields=["bureau", "discipline"], name="skillscore_bureau_disc_idx")]

    def __str__(self) -> str:
        return f"{self.bureau_id} channel {self.channel_id}: R={self.r_score}"

    @property
    def significant(self) -> bool:
        """R > R0: skill beyond chance at 97.5 %."""
        return self.r_score is not None and self.r0 is not None and self.r_score > self.r0
