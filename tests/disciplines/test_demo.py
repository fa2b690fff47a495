"""The demo seed: units inside their provinces, 30 days of reports with some late and missing,
anomalies in every state; safe to run twice."""

from __future__ import annotations

import io

import pytest

from disciplines.models import Anomaly, ReportingUnit, VerificationReport, ZeroReport

pytestmark = pytest.mark.django_db


def test_seed_twice_gives_the_same_rows():
    from disciplines import demo
    from portal import demo as portal_demo

    portal_demo.load_disciplines()
    portal_demo.load_bureaus()
    portal_demo.load_demo_people()
    demo.seed(io.StringIO())
    counts = (ReportingUnit.objects.count(), ZeroReport.objects.count(), Anomaly.objects.count())
    demo.seed(io.StringIO())
    assert (ReportingUnit.objects.count(), ZeroReport.objects.count(), Anomaly.objects.count()) == counts

    for code in ("JX", "NM"):
        units = ReportingUnit.objects.filter(bureau__code=code).select_related("bureau")
        assert {u.discipline.code for u in units} == {
            "seismology",
            "deformation",
            "fluid",
            "electromagnetism",
        }
        assert all(u.bureau.jurisdiction.contains(u.location) for u in units), code
        assert all(u.reporters.filter(username=f"{code.lower()}_reporter").exists() for u in units)
        reports = ZeroReport.objects.filter(bureau__code=code)
        assert reports.filter(is_late=True).exists()
        assert reports.count() < units.count() * 29  # some are missing
        states = set(Anomaly.objects.filter(bureau__code=code).values_list("state", flat=True))
        assert {"reported", "verifying", "verified", "tracking", "closed"} <= states
        assert VerificationReport.objects.filter(
            anomaly__bureau__code=code, submitted_at__isnull=False
        ).exists()
        tracking = Anomaly.objects.get(bureau__code=code, state="tracking")
        assert tracking.assessed_at is not None
        assert tracking.ratings.count() == 1

    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(name__startswith="disciplines:").count() == 2
