from __future__ import annotations

import pytest
from django.contrib.gis.geos import Polygon
from django.utils import timezone

from disciplines.models import Anomaly
from zones.models import DangerZone


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> Polygon:
    return Polygon(((lon0, lat0), (lon1, lat0), (lon1, lat1), (lon0, lat1), (lon0, lat0)), srid=4326)


@pytest.fixture
def make_zone():
    def make(
        bureau,
        *,
        year=None,
        name="赣中危险区",
        status="published",
        polygon=None,
        min_m="5.0",
        max_m="6.9",
        level="high",
        bureaus=(),
    ):
        zone = DangerZone.objects.create(
            bureau=bureau,
            year=year or timezone.localtime().year,
            name=name,
            polygon=polygon or square(114.0, 27.0, 116.0, 29.0),
            min_magnitude=min_m,
            max_magnitude=max_m,
            level=level,
            status=status,
        )
        zone.bureaus.set(bureaus)
        return zone

    return make


@pytest.fixture
def cenc_chair(make_person, cenc):
    return make_person("cenc_chair", (cenc, "chair"), (cenc, "forecaster"))


@pytest.fixture
def cenc_viewer(make_person, cenc):
    return make_person("cenc_viewer", (cenc, "viewer"))


@pytest.fixture
def jx_anomaly(jx, jx_reporter, disciplines):
    return Anomaly.objects.create(
        bureau=jx,
        source=Anomaly.Source.EXPERT,
        kind="instrumental",
        station="南昌井",
        observation_item="水位",
        discipline=disciplines["fluid"],
        onset_at=timezone.now(),
        description="水位突升",
        state=Anomaly.State.REPORTED,
        reported_by=jx_reporter,
    )
