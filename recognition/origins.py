"""What the anomaly page says of an anomaly a rule reported (``disciplines.anomaly_origins``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from disciplines.anomaly_origins import Origin

from . import selectors

if TYPE_CHECKING:
    from disciplines.models import Anomaly


def anomaly_origin(anomaly: Anomaly) -> Origin | None:
    if anomaly.source != "product":
        return None
    detection = selectors.detection_for_anomaly(anomaly=anomaly)
    if detection is None:
        return None
    return Origin(
        text=_("Found by recognition rule “%(rule)s” in product run #%(run)d, window %(start)s – %(end)s.")
        % {
            "rule": detection.rule.name,
            "run": detection.run_id,
            "start": detection.start,
            "end": detection.end,
        },
        links=[
            (_("the rule"), reverse("recognition:rule-detail", args=[detection.rule_id])),
            (_("the product run"), reverse("products:run-detail", args=[detection.run_id])),
        ],
    )
