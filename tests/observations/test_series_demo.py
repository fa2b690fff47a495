"""The demo series: deterministic, the faults and the anomaly where it says, loaded fast."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations import series_demo
from observations.models import SeriesDay
from observations.series_selectors import series_samples
from portal.tenancy import bureau_reader
from products.methods import registry
from products.series_inputs import read_series
from tests.observations.factories import (
    ChannelFactory,
    ObservationItemFactory,
    StationFactory,
    geomagnetic_item,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)
ITEMS = [
    ("WL", "fluid", "m"),
    ("WT", "fluid", "°C"),
    ("RN_W", "fluid", "Bq/L"),
    ("TILT_NS", "deformation", "ms"),
    ("TILT_EW", "deformation", "ms"),
]


def _network(bureau, prefix: str) -> list:
    from tests.factories import DisciplineFactory

    channels = []
    for s in range(2):
        station = StationFactory(bureau=bureau, code=f"{prefix}{s:02d}")
        for code, discipline, unit in ITEMS:
            item = ObservationItemFactory(
                code=code,
                name_zh=code,
                name_en=code,
                unit=unit,
                discipline=DisciplineFactory(code=discipline),
            )
            channels.append(ChannelFactory(station=station, item=item))
    geo = StationFactory(bureau=bureau, code=f"{prefix}G")
    channels += [ChannelFactory(station=geo, item=geomagnetic_item(e)) for e in "HZ"]
    return channels


def test_nothing_without_channels(jx, nm):
    assert series_demo.seed(today=TODAY)["samples"] == 0
    assert not SeriesDay.objects.exists()


def test_thirteen_months_of_24_channels_load_in_well_under_a_minute(jx, nm, jx_viewer, as_actor):
    channels = _network(jx, "JXD") + _network(nm, "NMD")
    result = series_demo.seed(today=TODAY)
    print(
        f"demo series: {result['channels']} channels, {result['samples']:,} samples in {result['seconds']} s"
    )
    assert result["channels"] == 24
    assert result["samples"] > 24 * 390 * 1440 * 0.99
    assert result["seconds"] < 40
    wl = result["anomaly"]["channel"]
    assert wl == channels[0].pk
    # the gap is a gap, the flat line flat, the anomaly a departure at the end
    start = dt.datetime(2026, 11, 30, tzinfo=dt.UTC) - dt.timedelta(days=round(13 * 30.44))
    values = series_samples(
        actor=as_actor(jx_viewer, "JX"), channel=channels[0], start=start, end=start + dt.timedelta(days=396)
    )
    gap = next(f for f in result["faults"][wl] if f["kind"] == "gap")
    i = int((dt.datetime.fromisoformat(gap["start"]) - start).total_seconds() // 60)
    assert np.isnan(values[i : i + 360]).all()
    assert not np.isnan(values[i - 1])
    flat = next(f for f in result["faults"][wl] if f["kind"] == "flat")
    j = int((dt.datetime.fromisoformat(flat["start"]) - start).total_seconds() // 60)
    assert np.ptp(values[j : j + 720]) == 0
    assert np.nanmean(values[-1440:]) - np.nanmean(values[-45 * 1440 : -44 * 1440]) > 0.3
    # deterministic
    again = series_demo.seed(today=TODAY)
    assert again["faults"] == result["faults"]
    assert np.array_equal(
        series_samples(
            actor=as_actor(jx_viewer, "JX"),
            channel=channels[0],
            start=start,
            end=start + dt.timedelta(days=396),
        ),
        values,
        equal_nan=True,
    )


def test_a_well_with_a_barometer_gets_the_pressure_its_level_answers(jx):
    """The demo well's barometer records the very pressure its level answers (-0.4 cm/hPa), so
    the barometric correction over the demo series finds that efficiency: within 20 %, not
    the 2 % of tests/products/test_fluid_barometric_tidal.py, because the demo's tides are
    sinusoids, not the theoretical tide the method regresses on, and the pressure's 12-hour
    wave shares S2 with that tide (found: 0.33 for 0.39 set)."""
    from tests.factories import DisciplineFactory

    fluid = DisciplineFactory(code="fluid")
    items = [
        ObservationItemFactory(code=code, name_zh=code, name_en=code, unit=unit, discipline=fluid)
        for code, unit in (("WL", "m"), ("PRES", "hPa"))
    ]
    # the first station's channels carry the demo's injected faults; the second is clean
    wells = [StationFactory(bureau=jx, code=f"JXB{i}", kind="well") for i in (1, 2)]
    level, pressure = (ChannelFactory(station=wells[1], item=item) for item in items)
    for item in items:
        ChannelFactory(station=wells[0], item=item)
    series_demo.seed(bureau_codes=("JX",), months=3, today=TODAY, qc="skip")
    end = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=80)
    hpa = series_samples(actor=bureau_reader(jx), channel=pressure, start=start, end=end)
    assert 990 < float(np.nanmean(hpa)) < 1030
    window = [
        {"channel": c.pk, "start": start.isoformat(), "end": end.isoformat()} for c in (level, pressure)
    ]
    result = registry.run(
        "barometric_tidal_correction", {"series": read_series(bureau=jx, selection=window)}, {}
    )
    # -0.004 m per hPa; a hPa is 100 Pa = 0.0102 m of water head: BE = 0.004 / 0.0102
    assert result["barometric_efficiency"] == pytest.approx(0.004 / (100 / (1000 * 9.80665)), rel=0.2)
    assert result["m2_amplitude"] == pytest.approx(0.040, rel=0.05)
