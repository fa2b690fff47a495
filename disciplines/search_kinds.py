"""The disciplines' searchable kind: anomalies, by their titles, descriptions and verification
texts (``portal.search``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Anomaly, VerificationReport


def _anomaly(anomaly: Anomaly) -> search.SearchDoc:
    verification = VerificationReport.objects.filter(anomaly=anomaly).first()
    found: list[object] = []
    if verification is not None:
        found = [
            verification.observation,
            verification.instrument,
            verification.shape,
            verification.amplitude,
            verification.analysis,
            [row["finding"] for row in verification.check_rows()],
            search.both(verification.get_conclusion_display()) if verification.conclusion else "",
        ]
    return search.SearchDoc(
        title=f"{anomaly.place} {anomaly.observation_item}".strip(),
        body=search.text_of(
            anomaly.description,
            anomaly.discipline.name_zh,
            anomaly.discipline.name_en,
            search.both(_("anomaly")),
            anomaly.decision_comment,
            found,
        ),
        url=reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
        date=anomaly.onset_at,
    )


def register_search_kinds() -> None:
    """From ``DisciplinesConfig.ready()``."""
    search.register(
        search.SearchKind(
            key="anomaly",
            label=_("anomalies"),
            model=Anomaly,
            document=_anomaly,
            related=("unit", "discipline"),
            watch=((VerificationReport, lambda report: [report.anomaly_id]),),
            order=20,
        )
    )
