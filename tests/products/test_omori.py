"""Omori-Utsu maximum likelihood fit."""

from __future__ import annotations

import numpy as np
import pytest

from products.methods.errors import InsufficientData
from products.methods.omori import integral, omori, simulate


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_known_parameters_are_recovered_within_twice_the_errors(seed) -> None:
    # given: a sequence drawn from K=100, c=0.05, p=1.1 over 100 days
    times = simulate(100.0, 0.05, 1.1, 100.0, np.random.default_rng(seed))
    # when
    result = omori(times, t_end=100.0)
    # then
    assert result["n"] == times.size
    for name, true in (("K", 100.0), ("c", 0.05), ("p", 1.1)):
        assert abs(result[name] - true) <= 2 * result[f"{name}_err"], name


def test_expected_next_is_the_integral_of_the_fitted_rate() -> None:
    times = simulate(100.0, 0.05, 1.1, 30.0, np.random.default_rng(9))
    result = omori(times, t_end=30.0, forecast_days=7)
    k, c, p = result["K"], result["c"], result["p"]
    # K * [(30 + c)^(1-p) - (37 + c)^(1-p)] / (p - 1)
    hand = k * ((30 + c) ** (1 - p) - (37 + c) ** (1 - p)) / (p - 1)
    assert result["expected_next"] == pytest.approx(hand, rel=1e-9)
    assert integral(c, 1.0, 0.0, 1.0) == pytest.approx(np.log((1 + c) / c))


def test_datetimes_with_a_mainshock_time_are_accepted() -> None:
    days = simulate(100.0, 0.05, 1.1, 20.0, np.random.default_rng(5))
    main = np.datetime64("2024-01-01T00:00:00")
    stamps = main + (days * 86_400_000).astype("timedelta64[ms]")
    assert omori(stamps, mainshock_time=main)["K"] == pytest.approx(omori(days)["K"], rel=1e-6)


def test_results_are_plain_python_numbers() -> None:
    result = omori(simulate(100.0, 0.05, 1.1, 20.0, np.random.default_rng(5)))
    assert all(type(v) in (float, int) for v in result.values())


def test_too_few_events_raise() -> None:
    with pytest.raises(InsufficientData) as info:
        omori([0.1, 0.5, 2.0])
    assert str(info.value) == ("omori needs at least 20 events after the mainshock; the selection has 3")


def test_one_day_of_data_raises() -> None:
    with pytest.raises(InsufficientData) as info:
        omori(np.linspace(0.01, 0.6, 50))
    assert (info.value.have, info.value.need) == (0.6, 1)
