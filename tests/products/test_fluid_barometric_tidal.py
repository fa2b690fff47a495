"""barometric_tidal_correction: a synthetic well whose level answers air pressure with a
known barometric efficiency (spread over a few hours, as wellbore storage spreads it) and
the earth tide with a known factor; the method recovers the efficiency within 2 % and the
M2 and O1 amplitudes within 5 %, and the run goes through the API with two stored channels."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations.services.series_store import series_write
from products.methods import registry
from products.methods.errors import InsufficientData
from products.methods.fluids.barometric_tidal import WATER_HEAD_PER_PA
from products.methods.tides import radial_tide
from products.series_inputs import SeriesInput
from tests.observations.factories import ChannelFactory, ObservationItemFactory, StationFactory

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
DAYS = 90
LAT, LON = 28.7, 115.9
BE = 0.35  # the level falls 0.35 m for 1 m of pressure head
KERNEL = np.array([0.6, 0.1, 0.1, 0.08, 0.06, 0.04, 0.02])  # share of the response at each lag (h)
GAMMA = -0.3  # metres of level per metre of radial tide: falls as the ground dilates
PERIODS = {"M2": 12.4206012, "S2": 12.0, "N2": 12.65834751, "K1": 23.93447213, "O1": 25.81933871}


def _hours(days: int = DAYS) -> np.ndarray:
    return np.datetime64(T0.replace(tzinfo=None), "h") + np.arange(days * 24)


def _synthetic(days: int = DAYS, seed: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(level m, pressure hPa, tide m) hourly: weather systems of a few days and the
    semidiurnal atmospheric tide in the pressure; the level's drift and noise."""
    rng = np.random.default_rng(seed)
    n = days * 24
    h = np.arange(n, dtype=float)
    weather = np.convolve(rng.standard_normal(n + 200), np.ones(72) / 8.5, mode="same")[:n]
    pressure = 1013 + 4 * weather + 1.2 * np.cos(2 * np.pi * h / 12)
    head = (pressure - pressure.mean()) * 100 * WATER_HEAD_PER_PA
    response = np.convolve(head, KERNEL)[:n]
    tide = radial_tide(LAT, LON, _hours(days))
    level = -12.0 - BE * response + GAMMA * tide + 0.0001 * h / 24 + 0.0005 * rng.standard_normal(n)
    return level, pressure, tide


def _input(values: np.ndarray, unit: str, channel: int, item: str) -> SeriesInput:
    return SeriesInput(
        channel=channel,
        station="JXW1",
        item=item,
        unit=unit,
        interval=3600,
        start=T0,
        values=values.astype(float),
        latitude=LAT,
        longitude=LON,
        expected=values.size,
        present=int(np.isfinite(values).sum()),
        excluded=0,
        excluded_spans=[],
    )


def _tide_amplitudes(tide: np.ndarray) -> dict[str, float]:
    """The theoretical tide's own constituent amplitudes, by a plain least-squares fit of the
    levels (not the method's differenced fit), to know what the level's should be."""
    t = np.arange(tide.size, dtype=float)
    columns = [np.ones_like(t)]
    for period in PERIODS.values():
        columns += [np.cos(2 * np.pi * t / period), np.sin(2 * np.pi * t / period)]
    coef, *_ = np.linalg.lstsq(np.column_stack(columns), tide, rcond=None)
    return {name: float(np.hypot(coef[1 + 2 * k], coef[2 + 2 * k])) for k, name in enumerate(PERIODS)}


def test_recovers_barometric_efficiency_and_tidal_amplitudes():
    level, pressure, tide = _synthetic()
    result = registry.run(
        "barometric_tidal_correction",
        {"series": [_input(level, "m", 1, "WL"), _input(pressure, "hPa", 2, "PRES")]},
        {},
    )
    assert result["barometric_efficiency"] == pytest.approx(BE, rel=0.02)
    # the response builds up over the kernel's lags: 60 % at once
    per_head = 1.0 / (100 * WATER_HEAD_PER_PA)  # hPa in a metre of water
    assert -result["brf"][0] * per_head == pytest.approx(0.6 * BE, rel=0.05)
    expected = _tide_amplitudes(tide)
    assert result["m2_amplitude"] == pytest.approx(abs(GAMMA) * expected["M2"], rel=0.05)
    assert result["o1_amplitude"] == pytest.approx(abs(GAMMA) * expected["O1"], rel=0.05)
    # a level that falls when the tide lifts the ground is half a cycle from it
    assert abs(result["m2_phase_deg"]) == pytest.approx(180.0, abs=3.0)
    assert abs(result["o1_phase_deg"]) == pytest.approx(180.0, abs=3.0)
    # the corrected series has neither the pressure nor the tide: only drift and noise left
    corrected = np.array(result["hourly"]["corrected"], dtype=float)
    assert np.isnan(corrected[:24]).all()  # the first day lacks the pressure's 24 lags
    hour = np.arange(corrected.size)[24:]
    detrended = corrected[24:] - np.polyval(np.polyfit(hour, corrected[24:], 1), hour)
    assert np.std(detrended) < 0.002
    assert np.std(level) > 0.02


def test_units_unknown_give_no_efficiency_but_the_response():
    level, pressure, _tide = _synthetic(days=40)
    result = registry.run(
        "barometric_tidal_correction",
        {"series": [_input(level, "counts", 1, "WL"), _input(pressure, "hPa", 2, "PRES")]},
        {"baro_lag_hours": 12, "tide_lag_hours": 6},
    )
    assert result["barometric_efficiency"] is None
    assert result["brf_unit"] == "counts/hPa"
    assert len(result["brf"]) == 13


def test_refuses_a_short_or_daily_series():
    level, pressure, _tide = _synthetic(days=20)
    with pytest.raises(InsufficientData, match="at least 672 hours"):
        registry.run(
            "barometric_tidal_correction",
            {"series": [_input(level, "m", 1, "WL"), _input(pressure, "hPa", 2, "PRES")]},
            {},
        )
    daily = SeriesInput(**{**_input(level[:60], "m", 1, "WL").__dict__, "interval": 86400})
    with pytest.raises(InsufficientData, match="at least hourly"):
        registry.run(
            "barometric_tidal_correction",
            {"series": [daily, _input(pressure, "hPa", 2, "PRES")]},
            {},
        )


@pytest.fixture
def well(jx):
    station = StationFactory(bureau=jx, code="JXW1", kind="well")
    station.location.x, station.location.y = LON, LAT
    station.save()
    level, pressure, _tide = _synthetic(days=45)
    wl = ChannelFactory(station=station, interval=3600)
    pres = ChannelFactory(
        station=station,
        interval=3600,
        item=ObservationItemFactory(code="PRES", name_zh="气压", name_en="air pressure", unit="hPa"),
    )
    series_write(channel=wl, start=T0, values=level.astype(np.float64), actor=None)
    series_write(channel=pres, start=T0, values=pressure.astype(np.float64), actor=None)
    return wl, pres


@pytest.mark.django_db
def test_run_through_the_api(api, jx_expert, well, django_capture_on_commit_callbacks):
    wl, pres = well
    client = api(jx_expert)
    window = {"start": "2025-03-01T00:00:00Z", "end": "2025-04-15T00:00:00Z"}
    body = {
        "method": "barometric_tidal_correction",
        "params": {},
        "series": [{"channel": wl.pk, **window}, {"channel": pres.pk, **window}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/products/", body, format="json")
    assert response.status_code == 202
    run = client.get(f"/api/v1/products/{response.json()['id']}/").json()
    assert run["status"] == "succeeded", run["error"]
    result = run["result"]
    # float32 storage rounds the level to ~1 µm: the efficiency still within 2 %
    assert result["barometric_efficiency"] == pytest.approx(BE, rel=0.02)
    assert [s["channel"] for s in result["input_series"]] == [wl.pk, pres.pk]
    assert run["figures"]
    one = client.post(
        "/api/v1/products/",
        {"method": "barometric_tidal_correction", "series": {"channel": wl.pk, **window}},
        format="json",
    )
    assert one.status_code == 400
