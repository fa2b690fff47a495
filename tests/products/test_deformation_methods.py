"""The deformation methods on synthetic tilt with known injected effects: annual_break finds
the year whose annual form or amplitude was changed and no other; the hinge rate_change
finds an injected slope change within one sample interval (a day) and its interval holds
it; k_sigma finds an injected anomaly and raises nothing on the clean part; the series
form of rate_change runs through the API for a deformation expert."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations.services.series_store import series_write
from products.methods import registry
from products.methods.errors import InsufficientData
from products.series_inputs import SeriesInput
from tests.factories import DisciplineFactory
from tests.observations.factories import ChannelFactory, ObservationItemFactory, StationFactory

DAY = 86400


def _input(values: np.ndarray, start: dt.datetime, interval: int = DAY) -> SeriesInput:
    return SeriesInput(
        channel=7,
        station="JXT1",
        item="TILT_NS",
        unit="ms",
        interval=interval,
        start=start,
        values=np.asarray(values, dtype=float),
        latitude=28.7,
        longitude=115.9,
        expected=len(values),
        present=int(np.isfinite(values).sum()),
        excluded=0,
        excluded_spans=[],
    )


# --- annual_break -----------------------------------------------------------------------

Y0 = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)


def _years(distort: dict[int, tuple[float, float]] | None = None, seed: int = 2) -> np.ndarray:
    """Daily tilt 2019-2023: an annual wave of 100 ms peaking near day 200, a drift of
    20 ms a year and 5 ms noise; ``distort`` {year: (amplitude factor, phase shift days)}."""
    rng = np.random.default_rng(seed)
    days = np.arange(np.datetime64("2019-01-01"), np.datetime64("2024-01-01"))
    years = days.astype("datetime64[Y]").astype(int) + 1970
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    amplitude = np.full(days.size, 50.0)
    shift = np.zeros(days.size)
    for year, (factor, lag) in (distort or {}).items():
        amplitude[years == year] *= factor
        shift[years == year] = lag
    wave = amplitude * np.cos(2 * np.pi * (doy - 200 - shift) / 365.25)
    return wave + 20.0 * np.arange(days.size) / 365.25 + 5.0 * rng.standard_normal(days.size)


def test_annual_break_finds_the_year_of_another_form():
    result = registry.run("annual_break", {"series": [_input(_years({2022: (1.0, 100.0)}), Y0)]}, {})
    assert result["n_years"] == 5
    assert result["distorted_years"] == [2022]
    (row,) = [r for r in result["years"] if r["year"] == 2022]
    assert row["reasons"] == ["shape"]
    assert row["peak_shift_days"] == pytest.approx(100, abs=10)
    for other in (r for r in result["years"] if r["year"] != 2022):
        assert other["correlation"] > 0.95
        assert other["amplitude"] == pytest.approx(100.0, rel=0.1)  # peak to peak of a 50 ms wave


def test_annual_break_finds_the_year_of_small_amplitude():
    result = registry.run("annual_break", {"series": [_input(_years({2021: (0.4, 0.0)}), Y0)]}, {})
    assert result["distorted_years"] == [2021]
    (row,) = [r for r in result["years"] if r["year"] == 2021]
    assert row["reasons"] == ["amplitude"]
    assert row["amplitude_ratio"] == pytest.approx(0.4, abs=0.06)


def test_annual_break_regular_years_none_distorted_and_short_series_refused():
    assert registry.run("annual_break", {"series": [_input(_years(), Y0)]}, {})["distorted_years"] == []
    with pytest.raises(InsufficientData, match="at least 3 calendar years"):
        registry.run("annual_break", {"series": [_input(_years()[: 2 * 365], Y0)]}, {})


# --- rate_change (series form) ----------------------------------------------------------

R0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
CHANGE = 400.3  # days after R0 (UTC) where the slope changes


def _hinge(days: int = 600, noise: float = 0.3, seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days, dtype=float)
    return 5.0 + 0.02 * t + 0.08 * np.maximum(0.0, t - CHANGE) + noise * rng.standard_normal(days)


def test_rate_change_series_form_finds_the_change_within_a_sample():
    result = registry.run("rate_change", {"series": [_input(_hinge(), R0)]}, {})
    truth = R0 + dt.timedelta(days=CHANGE)
    found = dt.datetime.fromisoformat(result["change_time"])
    assert abs((found - truth).total_seconds()) < DAY
    low, high = (dt.datetime.fromisoformat(result[k]) for k in ("ci_low", "ci_high"))
    assert low <= truth <= high
    assert result["ci_open"] is False
    assert result["rate_before"] == pytest.approx(0.02 * 365.25, rel=0.05)
    assert result["rate_after"] == pytest.approx(0.10 * 365.25, rel=0.05)
    assert result["delta_bic"] > 10
    assert result["rate_unit"] == "ms/a"


def test_rate_change_interval_widens_with_noise_and_catalog_form_is_untouched():
    quiet = registry.run("rate_change", {"series": [_input(_hinge(noise=0.1), R0)]}, {})
    noisy = registry.run("rate_change", {"series": [_input(_hinge(noise=1.0), R0)]}, {})
    assert quiet["ci_days"] < noisy["ci_days"]
    assert registry.METHODS["rate_change"].input == "catalog"
    assert registry.method_for("rate_change", series=True).discipline == "deformation"
    with pytest.raises(InsufficientData, match="rate_change needs at least 60 days"):
        registry.run("rate_change", {"series": [_input(_hinge(days=40), R0)]}, {})


# --- k_sigma -----------------------------------------------------------------------------

K0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
BUMP = (500, 510)


def _tilt(days: int = 730, seed: int = 9) -> np.ndarray:
    """Hourly tilt: drift, an annual wave, a diurnal wave and noise (ms)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24, dtype=float)
    return (
        0.05 * hours / 24
        + 30.0 * np.cos(2 * np.pi * hours / 8766.0)
        + 2.0 * np.sin(2 * np.pi * hours / 24)
        + 1.0 * rng.standard_normal(hours.size)
    )


def test_k_sigma_finds_the_injected_anomaly_and_nothing_else():
    values = _tilt()
    # Beijing days 500-509 (UTC 16:00 the day before): 2025-05-15 to 2025-05-24
    values[BUMP[0] * 24 - 8 : BUMP[1] * 24 - 8] -= 3.0  # about 15 σ of a daily mean
    result = registry.run("k_sigma", {"series": [_input(values, K0, interval=3600)]}, {})
    assert [(e["start"], e["end"], e["days"], e["sign"]) for e in result["exceedances"]] == [
        ("2025-05-15", "2025-05-24", 10, -1)
    ]
    assert result["exceedances"][0]["peak_sigma"] < -10


def test_k_sigma_clean_series_raises_no_alarm_with_any_detrending():
    sigmas = {}
    for detrend in ("annual", "moving", "linear"):
        result = registry.run(
            "k_sigma", {"series": [_input(_tilt(), K0, interval=3600)]}, {"detrend": detrend}
        )
        assert result["exceedances"] == [], detrend
        sigmas[detrend] = result["sigma"]
    # a straight line leaves the annual wave in the residual: σ is the wave's, not the noise's
    assert sigmas["annual"] == pytest.approx(1.0 / np.sqrt(24), rel=0.15)
    assert sigmas["linear"] > 50 * sigmas["annual"]
    with pytest.raises(InsufficientData, match="k_sigma needs at least 365 days"):
        registry.run("k_sigma", {"series": [_input(_tilt(days=200), K0, interval=3600)]}, {})


# --- through the API ---------------------------------------------------------------------


@pytest.fixture
def tilt_channel(jx):
    station = StationFactory(bureau=jx, code="JXT1", kind="cave")
    item = ObservationItemFactory(
        code="TILT_NS",
        name_zh="倾斜南北分量",
        name_en="tilt north-south",
        unit="ms",
        discipline=DisciplineFactory(code="deformation"),
    )
    channel = ChannelFactory(station=station, item=item, interval=DAY)
    series_write(channel=channel, start=R0, values=_hinge(), actor=None)
    return channel


@pytest.mark.django_db
def test_rate_change_on_a_series_through_the_api(
    api, make_person, jx, jx_expert, tilt_channel, django_capture_on_commit_callbacks
):
    expert = make_person("jx_deformation", (jx, "expert", "deformation"))
    client = api(expert)
    body = {
        "method": "rate_change",
        "params": {"min_segment_days": 60},
        "series": {
            "channel": tilt_channel.pk,
            "start": "2024-01-01T00:00:00Z",
            "end": "2025-08-23T00:00:00Z",
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/products/", body, format="json")
    assert response.status_code == 202
    run = client.get(f"/api/v1/products/{response.json()['id']}/").json()
    assert run["status"] == "succeeded", run["error"]
    found = dt.datetime.fromisoformat(run["result"]["change_time"])
    assert abs((found - (R0 + dt.timedelta(days=CHANGE))).total_seconds()) < DAY
    assert run["figures"]
    # a catalog parameter is not a parameter of the series form
    bad = client.post("/api/v1/products/", {**body, "params": {"cell": 0.5}}, format="json")
    assert bad.status_code == 400
    # a fluid expert does not run the deformation form
    assert api(jx_expert).post("/api/v1/products/", body, format="json").status_code == 403


def test_figures_are_drawn_and_the_catalogue_describes_the_series_form():
    from products.catalogue import describe

    cases = {
        "annual_break": _input(_years({2022: (1.0, 100.0)}), Y0),
        "rate_change": _input(_hinge(), R0),
        "k_sigma": _input(_tilt(), K0, interval=3600),
    }
    for name, part in cases.items():
        inputs = {"series": [part]}
        figure = registry.figure(name, registry.run(name, inputs, {}), inputs)
        assert len(figure.axes) == 2, name
    described = describe(registry.METHODS["rate_change"])
    assert described["input"] == "catalog"
    assert described["series_form"]["discipline"] == "deformation"
    assert described["series_form"]["returns"].startswith("{change_time")
    assert set(described["series_form"]["params"]) == {"min_segment_days", "confidence"}
