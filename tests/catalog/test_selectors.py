"""Visibility, FDSN-style selections and distances of the catalog selectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from catalog import selectors
from catalog.models import EventStatus, ReportKind
from catalog.services.events import Solution, event_record_solution
from portal.exceptions import InvalidInput, NotFound

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_event(bureau, *, lon=115.0, lat=28.0, mag=3.0, when=T0, publish=True, depth=10.0, kind="catalog"):
    event, created, _ = event_record_solution(
        bureau=bureau,
        solution=Solution(
            origin_time=when,
            latitude=lat,
            longitude=lon,
            depth_km=depth,
            magnitude=mag,
            magnitude_type="ML",
            location_name="test",
            status=EventStatus.AUTOMATIC if kind == "automatic" else EventStatus.REVIEWED,
            report_kind=kind,
        ),
        data_origin="manual",
        publish=publish,
    )
    assert created
    return event


@pytest.mark.django_db
def test_unpublished_events_are_read_only_by_their_bureau(
    jx, nm, jx_viewer, nm_forecaster, cenc_forecaster, as_actor
):
    # given
    public = make_event(jx, when=T0)
    draft = make_event(jx, when=T0 + timedelta(hours=1), publish=False, kind=ReportKind.AUTOMATIC)
    # then
    assert list(selectors.event_list(actor=None)) == [public]
    assert list(selectors.event_list(actor=as_actor(nm_forecaster))) == [public]
    assert list(selectors.event_list(actor=as_actor(cenc_forecaster))) == [public]
    assert list(selectors.event_list(actor=as_actor(jx_viewer))) == [draft, public]
    with pytest.raises(NotFound):
        selectors.event_get(actor=as_actor(nm_forecaster), public_id=draft.public_id)
    assert selectors.event_get(actor=as_actor(jx_viewer), public_id=draft.public_id) == draft


@pytest.mark.django_db
def test_selection_filters_by_time_box_magnitude_and_depth(jx):
    inside = make_event(jx, lon=115.0, lat=28.0, mag=4.0, depth=10)
    make_event(jx, lon=120.0, lat=28.0, mag=4.0, when=T0 + timedelta(days=1))  # outside the box
    make_event(jx, lon=115.2, lat=28.2, mag=2.0, when=T0 + timedelta(days=2))  # too small
    make_event(jx, lon=115.3, lat=28.3, mag=4.5, when=T0 + timedelta(days=3), depth=50)  # too deep
    make_event(jx, lon=115.1, lat=28.1, mag=4.5, when=T0 - timedelta(days=30))  # too early
    selection = {
        "starttime": T0 - timedelta(days=1),
        "endtime": "2024-06-01",
        "minlatitude": 27,
        "maxlatitude": 29,
        "minlongitude": 114,
        "maxlongitude": 116,
        "minmagnitude": 3,
        "maxdepth": 30,
    }
    assert list(selectors.events_for_selection(actor=None, selection=selection)) == [inside]


@pytest.mark.parametrize(
    ("selection", "key"),
    [
        ({"minlatitude": 95}, "minlatitude"),
        ({"starttime": "2024-05-02", "endtime": "2024-05-01"}, "starttime"),
        ({"bogus": 1}, "bogus"),
        ({"minmagnitude": "big"}, "minmagnitude"),
    ],
)
@pytest.mark.django_db
def test_selection_refuses_bad_keys_naming_them(selection, key):
    with pytest.raises(InvalidInput) as problem:
        selectors.events_for_selection(actor=None, selection=selection)
    assert problem.value.field == key


@pytest.mark.django_db
def test_radius_is_measured_in_degrees_of_great_circle(jx):
    # 1 degree of arc = 111.195 km on the sphere; along a meridian latitude
    # degrees are exactly arc degrees, so 0.99 deg is inside and 1.01 outside.
    centre_lat, lon = 28.0, 115.0
    inside = make_event(jx, lat=centre_lat + 0.99, lon=lon)
    make_event(jx, lat=centre_lat + 1.01, lon=lon, when=T0 + timedelta(hours=1))
    ring = make_event(jx, lat=centre_lat + 0.5, lon=lon, when=T0 + timedelta(hours=2))
    found = selectors.events_for_selection(
        actor=None, selection={"latitude": centre_lat, "longitude": lon, "maxradius": 1.0}
    )
    assert list(found) == [inside, ring]
    annulus = selectors.events_for_selection(
        actor=None, selection={"latitude": centre_lat, "longitude": lon, "minradius": 0.6, "maxradius": 1.0}
    )
    assert list(annulus) == [inside]


@pytest.mark.django_db
def test_events_near_uses_kilometres(jx):
    # 0.9 deg of latitude = 100.08 km
    near = make_event(jx, lat=28.9, lon=115.0)
    make_event(jx, lat=28.0, lon=115.0, mag=1.0, when=T0 + timedelta(hours=3))
    assert list(selectors.events_near(actor=None, lon=115.0, lat=28.0, radius_km=101, min_magnitude=2.0)) == [
        near
    ] + [e for e in selectors.events_near(actor=None, lon=115.0, lat=28.0, radius_km=1) if e.magnitude >= 2]
    assert (
        list(selectors.events_near(actor=None, lon=115.0, lat=28.0, radius_km=99.9, min_magnitude=2.5)) == []
    )


@pytest.mark.django_db
def test_box_across_the_antimeridian(jx):
    east = make_event(jx, lat=-20.0, lon=179.5)
    west = make_event(jx, lat=-20.0, lon=-179.5, when=T0 + timedelta(hours=1))
    make_event(jx, lat=-20.0, lon=170.0, when=T0 + timedelta(hours=2))
    found = selectors.events_for_selection(
        actor=None,
        selection={"minlongitude": 179, "maxlongitude": -179, "minlatitude": -21, "maxlatitude": -19},
    )
    assert list(found) == [east, west]
