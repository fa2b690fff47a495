"""The demo data: seeded through the services, idempotent."""

from __future__ import annotations

import io

import pytest

from consultations import demo
from consultations.models import ConsultationReport, DisciplineOpinion, Meeting

pytestmark = pytest.mark.django_db


def test_seed_builds_the_three_meetings_once():
    from portal import demo as portal_demo

    portal_demo.load_disciplines()
    portal_demo.load_bureaus()
    portal_demo.load_demo_people()
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert sorted(Meeting.objects.values_list("bureau__code", "kind", "status")) == [
        ("JX", "monthly", "closed"),
        ("JX", "special_topic", "scheduled"),
        ("NM", "weekly", "open"),
    ]
    jx_monthly = Meeting.objects.get(kind="monthly")
    assert sorted(
        DisciplineOpinion.objects.filter(meeting=jx_monthly).values_list("discipline__code", flat=True)
    ) == [
        "deformation",
        "electromagnetism",
        "fluid",
        "seismology",
    ]
    assert sorted(ConsultationReport.objects.values_list("bureau__code", "status")) == [
        ("JX", "issued"),
        ("NM", "draft"),
    ]
    assert list(Meeting.objects.get(kind="special_topic").joint_bureaus.values_list("code", flat=True)) == [
        "FJ"
    ]
