"""The causes of interference to an observation (干扰因素): one list, used where an anomaly
is verified (disciplines' verification report) and where a person reviews a day that
quality control flagged (:class:`observations.models.QcReview`), so that both speak of the
same causes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InterferenceFactor(models.TextChoices):
    """The interference checks of a verification report, in the order the form lists them."""

    ENVIRONMENT = "environment", _("observation environment")
    INSTRUMENT = "instrument", _("instrument")
    POWER = "power", _("power supply")
    LIGHTNING = "lightning", _("lightning")
    PUMPING = "pumping", _("pumping or water injection")
    MINING = "mining", _("mining")
    CONSTRUCTION = "construction", _("construction")
    RAINFALL = "rainfall", _("rainfall")
    AIR_PRESSURE = "air_pressure", _("air pressure")
