"""GET /api/v1/series/qc/: the contract exactly, tenancy (404), bad parameters (400)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from observations import series_demo
from observations.models import QcDay, QcReview
from observations.services import qc_run
from observations.services.series_store import series_write
from tests.observations.factories import ChannelFactory, ObservationItemFactory, StationFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/series/qc/"
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def well(jx):
    station = StationFactory(bureau=jx, code="JXW")
    return ChannelFactory(station=station, item=ObservationItemFactory(code="WL", unit="m"))


@pytest.fixture
def checked(well):
    hours = np.arange(2 * 1440) / 60.0 + 230000
    values = series_demo._curve("WL", hours, np.random.default_rng(4), np.array([])).astype(np.float32)
    values[500] += 1.0  # a spike at 08:20 on the first day
    values[1440 + 100 : 1440 + 160] = np.nan  # an hour missing on the second day
    series_write(channel=well, start=T0, values=values, actor=None)
    qc_run.qc_check_days(well, T0.date(), T0.date() + dt.timedelta(days=1), now=LATER)
    return well


def test_the_days_of_a_channel_exactly(checked, jx_viewer, jx_expert, api):
    first = QcDay.objects.get(channel=checked, day=T0.date())
    QcDay.objects.filter(pk=first.pk).update(status="reviewed")  # as the review workflow leaves it
    when = timezone.now().replace(microsecond=0)
    QcReview.objects.create(
        bureau=first.bureau,
        qc_day=first,
        verdict="fault",
        comment="探头故障",
        reviewed_by=jx_expert,
        reviewed_at=when,
    )
    QcReview.objects.create(
        bureau=first.bureau,
        qc_day=first,
        verdict="ok",
        reviewed_by=jx_expert,
        reviewed_at=when + dt.timedelta(minutes=5),
        superseded=True,
    )
    response = api(jx_viewer).get(URL, {"channel": checked.pk, "start": "2026-03-01", "end": "2026-03-05"})
    assert response.status_code == 200
    body = response.json()
    second = QcDay.objects.get(channel=checked, day=T0.date() + dt.timedelta(days=1))
    assert body == [
        {
            "id": first.pk,
            "date": "2026-03-01",
            "availability": 100.0,
            "gaps": 0,
            "spikes": ["2026-03-01T08:20:00Z"],
            "steps": 0,
            "flat": 0,
            "out_of_range": 0,
            "timestamp_faults": 0,
            "departure": None,
            "departure_alarm": False,
            "flagged": True,
            "status": "reviewed",
            "checked_at": "2026-06-01T00:00:00Z",
            "review": {
                "verdict": "fault",
                "cause": "",
                "comment": "探头故障",
                "reviewed_by": jx_expert.label,
                "reviewed_at": when.isoformat().replace("+00:00", "Z"),
            },
            "flags": [
                {
                    "kind": "spike",
                    "start": "2026-03-01T08:20:00Z",
                    "end": "2026-03-01T08:21:00Z",
                    "value": body[0]["flags"][0]["value"],
                    "verdict": "",
                }
            ],
        },
        {
            "id": second.pk,
            "date": "2026-03-02",
            "availability": round(100 * 1380 / 1440, 3),
            "gaps": 1,
            "spikes": [],
            "steps": 0,
            "flat": 0,
            "out_of_range": 0,
            "timestamp_faults": 0,
            "departure": None,
            "departure_alarm": False,
            "flagged": False,
            "status": "auto",
            "checked_at": "2026-06-01T00:00:00Z",
            "review": None,
            "flags": [
                {
                    "kind": "gap",
                    "start": "2026-03-02T01:40:00Z",
                    "end": "2026-03-02T02:40:00Z",
                    "value": 60.0,
                    "verdict": "",
                }
            ],
        },
    ]
    assert body[0]["flags"][0]["value"] == pytest.approx(1.0, abs=0.01)


def test_a_range_without_checked_days_is_empty(checked, jx_viewer, api):
    response = api(jx_viewer).get(URL, {"channel": checked.pk, "start": "2026-04-01", "end": "2026-04-02"})
    assert (response.status_code, response.json()) == (200, [])


def test_another_bureaus_channel_is_404(checked, nm_admin, api):
    response = api(nm_admin).get(URL, {"channel": checked.pk, "start": "2026-03-01", "end": "2026-03-02"})
    assert response.status_code == 404


def test_signed_out_is_refused(checked, api):
    response = api().get(URL, {"channel": checked.pk, "start": "2026-03-01", "end": "2026-03-02"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-03-01", "end": "2026-03-02"}, "channel"),
        ({"channel": "x", "start": "2026-03-01", "end": "2026-03-02"}, "channel"),
        ({"channel": "{id}", "end": "2026-03-02"}, "start"),
        ({"channel": "{id}", "start": "2026-13-01", "end": "2026-03-02"}, "start"),
        ({"channel": "{id}", "start": "2026-03-01"}, "end"),
        ({"channel": "{id}", "start": "2026-03-02", "end": "2026-03-01"}, "end"),
        ({"channel": "{id}", "start": "2025-01-01", "end": "2026-03-01"}, "end"),
    ],
)
def test_bad_parameters_are_400_naming_them(checked, jx_viewer, api, params, field):
    params = {k: (str(checked.pk) if v == "{id}" else v) for k, v in params.items()}
    response = api(jx_viewer).get(URL, params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_schema_documents_the_api(jx_viewer, api):
    schema = api(jx_viewer).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/series/qc/"]["get"]
    assert sorted(p["name"] for p in operation["parameters"]) == ["channel", "end", "start"]
    # 429: the per-token rate limit (personal API tokens)
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "429"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
