"""The anomalies and zero-reports sections, with exact expected values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from disciplines.models import Anomaly, AssessmentRating, ReportingUnit
from portal.tenancy import bureau_reader
from tests.factories import AnomalyFactory, ReportingUnitFactory, UserFactory, ZeroReportFactory
from trends.compilation import CompileContext, compile_section

BJT = dt.timezone(dt.timedelta(hours=8))
OCTOBER = dt.date(2026, 10, 1)


def compile_october(key, bureau):
    return compile_section(key, CompileContext(bureau=bureau, month=OCTOBER, reader=bureau_reader(bureau)))


def anomaly(bureau, discipline, **fields):
    """An anomaly with its dates and state set as the workflow would have left them."""
    row = AnomalyFactory(bureau=bureau, discipline=discipline, onset_at=dt.datetime(2026, 9, 20, tzinfo=BJT))
    Anomaly.objects.filter(pk=row.pk).update(**fields)
    row.refresh_from_db()
    return row


@pytest.fixture
def anomalies(jx, nm, disciplines):
    fluid, deformation = disciplines["fluid"], disciplines["deformation"]
    oct_ = dt.datetime(2026, 10, 10, tzinfo=BJT)
    rows = {
        # reported 10-01 00:30 BJT (09-30 16:30 UTC): October
        "reported": anomaly(jx, fluid, created_at=dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC)),
        # reported 09-30 23:30 BJT, verified in October
        "verified": anomaly(
            jx,
            fluid,
            created_at=dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC),
            state="verified",
            verified_at=oct_,
        ),
        # reported long ago, under tracking
        "tracking": anomaly(
            jx,
            deformation,
            created_at=dt.datetime(2026, 3, 1, tzinfo=BJT),
            state="tracking",
            assessed_at=oct_,
        ),
        # reported and closed in October
        "closed": anomaly(
            jx,
            deformation,
            created_at=oct_,
            state="closed",
            verified_at=oct_,
            assessed_at=oct_,
            closed_at=dt.datetime(2026, 10, 31, 23, 0, tzinfo=BJT),
        ),
        # closed in November (reported in August): not in the section
        "later": anomaly(
            jx,
            fluid,
            created_at=dt.datetime(2026, 8, 1, tzinfo=BJT),
            state="closed",
            closed_at=dt.datetime(2026, 11, 1, 0, 0, tzinfo=BJT),
        ),
        # another province's anomaly of October: not read
        "other": anomaly(nm, fluid, created_at=oct_),
    }
    for letter, username in (("A", "e1"), ("B", "e2"), ("A", "e3")):
        AssessmentRating.objects.create(
            bureau=jx,
            anomaly=rows["tracking"],
            expert=UserFactory(username=username),
            credibility=letter,
            relation="possible",
            recommendation="track",
        )
    return rows


def test_anomalies_by_discipline(jx, anomalies):
    data = compile_october("anomalies", jx).data
    by = {d["discipline"]: d for d in data["by_discipline"]}
    assert by["fluid"] | {"name": None, "name_en": None} == {
        "discipline": "fluid",
        "name": None,
        "name_en": None,
        "reported": 1,
        "verified": 1,
        "tracking": 0,
        "closed": 0,
    }
    assert {k: by["deformation"][k] for k in ("reported", "verified", "tracking", "closed")} == {
        "reported": 1,
        "verified": 1,
        "tracking": 1,
        "closed": 1,
    }
    assert data["totals"] == {"reported": 2, "verified": 2, "tracking": 1, "closed": 1}
    assert by["electromagnetism"]["reported"] == 0  # every discipline has its line
    ids = [row["id"] for row in data["rows"]]
    assert sorted(ids) == sorted(anomalies[k].pk for k in ("reported", "verified", "tracking", "closed"))
    tracking = next(row for row in data["rows"] if row["id"] == anomalies["tracking"].pk)
    assert tracking["rating"] == "A (A×2, B×1)"
    assert tracking["state"] == "tracking"
    assert tracking["station"] == "九江台"
    assert tracking["item"] == "水位"
    assert tracking["url"] == f"/disciplines/anomalies/{anomalies['tracking'].pk}/"
    assert set(tracking) >= {
        "id",
        "discipline",
        "station",
        "item",
        "onset",
        "state",
        "state_label",
        "rating",
        "url",
    }


def test_a_reader_without_a_bureau_reads_no_anomalies(jx, anomalies):
    from portal.tenancy import Actor

    nobody = Actor(user=AnonymousUser(), bureau=None, memberships=())
    data = compile_section("anomalies", CompileContext(bureau=jx, month=OCTOBER, reader=nobody)).data
    assert data["rows"] == []


@pytest.fixture
def units(jx, nm, disciplines):
    reporter = UserFactory(username="zr-reporter")
    daily = ReportingUnitFactory(bureau=jx, code="U-DAY", name="日报台", discipline=disciplines["fluid"])
    silent = ReportingUnitFactory(bureau=jx, code="U-NONE", name="沉默台", discipline=disciplines["fluid"])
    weekly = ReportingUnitFactory(
        bureau=jx, code="U-WEEK", name="周报点", discipline=disciplines["deformation"], schedule="weekly"
    )
    elsewhere = ReportingUnitFactory(bureau=nm, code="U-NM", name="内蒙台", discipline=disciplines["fluid"])
    october = [OCTOBER + dt.timedelta(days=i) for i in range(31)]
    missing = {october[3], october[10], october[30]}
    late = {october[5], october[6]}
    submitted = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for day in october:
        if day not in missing:
            ZeroReportFactory(
                unit=daily, period=day, reported_by=reporter, submitted_at=submitted, is_late=day in late
            )
        ZeroReportFactory(unit=elsewhere, period=day, reported_by=reporter, submitted_at=submitted)
    mondays = [d for d in october if d.weekday() == 0]
    assert len(mondays) == 4
    for monday in mondays:
        anomalous = monday == mondays[-1]
        ZeroReportFactory(
            unit=weekly,
            period=monday,
            reported_by=reporter,
            submitted_at=submitted,
            status="anomaly" if anomalous else "none",
            is_late=anomalous,
        )
    return {"daily": daily, "silent": silent, "weekly": weekly}


def test_zero_reports_of_the_month(jx, units):
    data = compile_october("zero_reports", jx).data
    assert data["n_units"] == 3
    assert data["expected"] == 31 + 31 + 4
    assert data["reported"] == 28 + 0 + 4
    assert data["late"] == 2 + 1
    assert data["on_time"] == 26 + 3
    assert data["missed"] == 3 + 31
    assert data["pending"] == 0
    assert data["top_missing"] == [
        {"unit": "沉默台", "code": "U-NONE", "missed_days": 31, "late_days": 0},
        {"unit": "日报台", "code": "U-DAY", "missed_days": 3, "late_days": 2},
        {"unit": "周报点", "code": "U-WEEK", "missed_days": 0, "late_days": 1},
    ]
    assert ReportingUnit.objects.filter(bureau=jx).count() == 3
