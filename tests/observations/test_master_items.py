"""The observation items' data migration runs again without change, and reporting units
link only to their own bureau's stations."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from observations.models import ObservationItem

pytestmark = pytest.mark.django_db


def test_item_migration_is_idempotent(db):
    migration = importlib.import_module("observations.migrations.0003_observation_items")
    before = list(ObservationItem.objects.order_by("code").values_list("code", "unit", "discipline__code"))
    # when
    migration.load_items(apps, None)
    # then
    after = list(ObservationItem.objects.order_by("code").values_list("code", "unit", "discipline__code"))
    assert after == before
    assert len(after) == len(migration.ITEMS)


def test_unit_cannot_link_another_bureaus_station(nm, jx_admin, disciplines, make_station, as_actor):
    from disciplines.services.units import unit_create
    from portal.exceptions import InvalidInput

    station = make_station(nm, "NM-TL", lon=122.24, lat=43.65)
    with pytest.raises(InvalidInput) as error:
        unit_create(
            actor=as_actor(jx_admin),
            code="JX-X",
            name="某台",
            discipline=disciplines["fluid"],
            lon=115.5,
            lat=28.2,
            station=station,
        )
    assert error.value.field == "station"


def test_unit_links_own_station_through_the_api(api, jx, jx_admin, disciplines, make_station):
    station = make_station(jx, "JX-XS")
    response = api(jx_admin).post(
        "/api/v1/reporting-units/",
        {
            "code": "JX-FL-09",
            "name": "修水井",
            "discipline": "fluid",
            "lon": 114.55,
            "lat": 29.03,
            "station": "JX-XS",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["station"] == "JX-XS"
    assert station.reporting_units.get().code == "JX-FL-09"
