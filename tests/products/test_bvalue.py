"""b-value: hand-worked values, seismostats, synthetic catalogs, degenerate data."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from products.methods.bvalue import bvalue, bvalue_series
from products.methods.errors import InsufficientData
from tests.products.products_data import gr_magnitudes

HAND = [2.0, 2.0, 2.1, 2.2, 2.3, 2.5, 2.6, 2.8, 3.1, 3.4]


def test_aki_utsu_and_shi_bolt_on_a_hand_worked_set() -> None:
    # sum = 25.0, n = 10, mean = 2.5; Mc = 2.0, bin = 0.1 -> Mc - bin/2 = 1.95
    # b = log10(e) / (2.5 - 1.95) = 0.4342944819 / 0.55 = 0.7896263307
    # deviations -0.5 -0.5 -0.4 -0.3 -0.2 0 0.1 0.3 0.6 0.9 -> squares sum 2.06
    # b_err = ln(10) * b^2 * sqrt(2.06 / (10 * 9)) = 2.3025851 * 0.6235098 * 0.1512907
    #       = 0.2172057 (Shi and Bolt print 2.30, ln 10 rounded: 0.2169610)
    # a = log10(10) + b * 2.0 = 1 + 1.5792527 = 2.5792527
    result = bvalue(HAND, mc=2.0, bin=0.1, min_events=10)
    b = math.log10(math.e) / 0.55
    assert result["b"] == pytest.approx(0.7896263307, abs=1e-9)
    assert result["b"] == pytest.approx(b, rel=1e-12)
    assert result["b_err"] == pytest.approx(math.log(10) * b * b * math.sqrt(2.06 / 90), rel=1e-9)
    assert result["b_err"] == pytest.approx(0.2172057, abs=1e-6)
    assert result["a"] == pytest.approx(1 + 2 * b, rel=1e-12)
    assert (result["mc"], result["n"]) == (2.0, 10)


def test_tinti_mulargia_on_the_hand_worked_set() -> None:
    # b = ln(1 + 0.1 / (2.5 - 2.0)) / (0.1 ln 10) = ln(1.2) / 0.2302585 = 0.7918125
    result = bvalue(HAND, mc=2.0, bin=0.1, min_events=10, estimator="tinti_mulargia")
    assert result["b"] == pytest.approx(math.log(1.2) / (0.1 * math.log(10)), rel=1e-12)
    assert result["b"] == pytest.approx(0.7918125, abs=1e-6)


def test_b_positive_on_a_hand_worked_sequence() -> None:
    # time order 2.0 2.3 2.1 2.6 2.6 2.2 2.4 -> differences +0.3 -0.2 +0.5 0 -0.4 +0.2
    # kept (>= dmc = 0.1): 0.3 0.5 0.2, mean 1/3; binned-difference estimator
    # (van der Elst 2021): b = ln(1 + 0.1 / (1/3 - 0.1)) / (0.1 ln 10)
    #   = ln(1.4285714) / 0.2302585 = 1.5490196 (Aki-Utsu would give 1.5327)
    mags = [2.0, 2.3, 2.1, 2.6, 2.6, 2.2, 2.4]
    result = bvalue(mags, mc=2.0, min_events=3, estimator="b_positive")
    assert result["b"] == pytest.approx(math.log(1 + 0.1 / (1 / 3 - 0.1)) / (0.1 * math.log(10)), rel=1e-9)
    assert result["b"] == pytest.approx(1.5490196, abs=1e-6)
    assert result["n"] == 3


def test_b_positive_counts_differences_from_the_given_dmc() -> None:
    # same sequence, dmc = 0.3: kept 0.3 0.5, mean 0.4; b = ln(1 + 0.1 / 0.1) / (0.1 ln 10)
    mags = [2.0, 2.3, 2.1, 2.6, 2.6, 2.2, 2.4, 2.0, 2.2]
    # differences +0.3 -0.2 +0.5 0 -0.4 +0.2 -0.4 +0.2 -> kept (>= 0.3): 0.3 0.5
    result = bvalue(mags, mc=2.0, min_events=2, estimator="b_positive", dmc=0.3)
    assert result["b"] == pytest.approx(math.log(2.0) / (0.1 * math.log(10)), rel=1e-9)
    assert result["n"] == 2


def test_b_positive_uses_the_times_to_order_events() -> None:
    mags = [2.4, 2.0, 2.3, 2.1, 2.6, 2.6, 2.2]
    times = [6.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    ordered = bvalue(mags, times, mc=2.0, min_events=3, estimator="b_positive")
    assert ordered["b"] == pytest.approx(math.log(1 + 0.1 / (1 / 3 - 0.1)) / (0.1 * math.log(10)), rel=1e-9)


@pytest.mark.parametrize(("b_true", "seed"), [(1.0, 11), (0.8, 12), (1.3, 13)])
@pytest.mark.parametrize("estimator", ["aki_utsu", "tinti_mulargia", "b_positive"])
def test_known_b_is_recovered_within_two_sigma(b_true, seed, estimator) -> None:
    # continuous GR above 1.95, binned to 0.1 -> complete from the 2.0 bin
    mags = gr_magnitudes(20000, b_true, 1.95, seed=seed)
    result = bvalue(mags, mc=2.0, estimator=estimator)
    assert abs(result["b"] - b_true) <= 2 * result["b_err"]


def test_mc_is_estimated_when_not_given_and_rounded() -> None:
    mags = gr_magnitudes(5000, 1.0, 1.95, seed=5)
    result = bvalue(mags)
    assert result["mc"] in (2.1, 2.2, 2.3)
    assert repr(result["mc"]) in ("2.1", "2.2", "2.3")


class TestAgainstSeismostats:
    """Same data, same conventions: seismostats' estimators are the reference.

    Conventions found in seismostats 1.0.1 (analysis/bvalue): the magnitudes
    must already be binned (it checks and raises otherwise); events are kept
    when M >= Mc - delta_m/2; ``ClassicBValueEstimator`` with delta_m > 0 is
    the Tinti-Mulargia (1987) discrete estimator, not Aki-Utsu;
    ``UtsuBValueEstimator`` is Aki (1965) with Utsu's half-bin correction,
    i.e. our ``aki_utsu``; ``std`` is Shi-Bolt with the population std over
    sqrt(n - 1), identical to 2.30 b^2 sqrt(sum(dM^2) / (n (n - 1)));
    ``BPositiveBValueEstimator`` keeps differences >= dmc - delta_m/2 and
    applies the same binned (Tinti-Mulargia) form to them, with dmc for Mc.
    """

    @pytest.fixture
    def binned(self, sed_catalog):
        from seismostats.utils import bin_to_precision

        return bin_to_precision(sed_catalog["magnitudes"], 0.1)

    def _calc(self, cls, mags, mc, **kw):
        est = cls()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.calculate(mags, mc=mc, delta_m=0.1, **kw)
        return est

    def test_aki_utsu_equals_utsu_estimator(self, sed_catalog, binned) -> None:
        from seismostats.analysis.bvalue import UtsuBValueEstimator

        ours = bvalue(sed_catalog["magnitudes"], mc=1.0)
        ref = self._calc(UtsuBValueEstimator, binned, 1.0)
        assert ours["b"] == pytest.approx(ref.b_value, rel=1e-10)
        assert ours["b_err"] == pytest.approx(ref.std, rel=1e-10)
        assert ours["n"] == ref.n

    def test_tinti_mulargia_equals_classic_estimator(self, sed_catalog, binned) -> None:
        from seismostats.analysis.bvalue import ClassicBValueEstimator

        ours = bvalue(sed_catalog["magnitudes"], mc=1.0, estimator="tinti_mulargia")
        ref = self._calc(ClassicBValueEstimator, binned, 1.0)
        assert ours["b"] == pytest.approx(ref.b_value, rel=1e-10)
        assert ours["b_err"] == pytest.approx(ref.std, rel=1e-10)

    @pytest.mark.parametrize(("mc", "dmc"), [(1.0, None), (1.0, 0.1), (1.0, 0.2), (1.5, 0.3), (0.8, 0.0)])
    def test_b_positive_equals_bpositive_estimator(self, sed_catalog, binned, mc, dmc) -> None:
        from seismostats.analysis.bvalue import BPositiveBValueEstimator

        times = sed_catalog["times"]
        ours = bvalue(sed_catalog["magnitudes"], times, mc=mc, estimator="b_positive", dmc=dmc, min_events=20)
        ref = self._calc(BPositiveBValueEstimator, binned, mc, times=times, dmc=dmc)
        assert ours["n"] == ref.n
        assert ours["b"] == pytest.approx(ref.b_value, abs=1e-9)
        assert ours["b_err"] == pytest.approx(ref.std, abs=1e-9)

    @pytest.mark.parametrize(("b_true", "dmc"), [(1.0, None), (0.8, 0.2), (1.3, 0.4)])
    def test_b_positive_equals_bpositive_estimator_on_synthetic_data(self, b_true, dmc) -> None:
        from seismostats.analysis.bvalue import BPositiveBValueEstimator
        from seismostats.utils import bin_to_precision

        # given: a GR sequence in time order with a transient incompleteness
        # (small events after each large one are missing), b-positive's use case
        mags = gr_magnitudes(5000, b_true, 1.95, seed=21)
        after_large = np.concatenate([[False], mags[:-1] > 3.5])
        mags = mags[~(after_large & (mags < 2.6))]
        times = np.arange(mags.size, dtype=float)
        # when
        ours = bvalue(mags, times, mc=2.0, estimator="b_positive", dmc=dmc)
        ref = self._calc(BPositiveBValueEstimator, bin_to_precision(mags, 0.1), 2.0, times=times, dmc=dmc)
        # then
        assert ours["n"] == ref.n
        assert ours["b"] == pytest.approx(ref.b_value, abs=1e-9)
        assert ours["b_err"] == pytest.approx(ref.std, abs=1e-9)

    def test_b_positive_series_window_equals_bpositive_estimator(self, sed_catalog, binned) -> None:
        from seismostats.analysis.bvalue import BPositiveBValueEstimator

        times = sed_catalog["times"]
        series = bvalue_series(
            sed_catalog["magnitudes"], times, mc=1.0, window=400, step=400, estimator="b_positive"
        )
        order = np.argsort(times, kind="stable")
        above = order[binned[order] >= 1.0 - 0.05][:400]
        ref = self._calc(BPositiveBValueEstimator, binned[above], 1.0, times=times[above])
        assert series["b"][0] == pytest.approx(ref.b_value, abs=1e-9)
        assert series["b_err"][0] == pytest.approx(ref.std, abs=1e-9)

    def test_estimated_mc_then_b_matches(self, sed_catalog, binned) -> None:
        from seismostats.analysis import estimate_mc_maxc
        from seismostats.analysis.bvalue import UtsuBValueEstimator

        mc_ref, _ = estimate_mc_maxc(binned, fmd_bin=0.1)
        ours = bvalue(sed_catalog["magnitudes"])
        ref = self._calc(UtsuBValueEstimator, binned, mc_ref)
        assert ours["mc"] == pytest.approx(mc_ref)
        assert ours["b"] == pytest.approx(ref.b_value, rel=1e-10)


def test_too_few_events_above_mc_raises_with_have_and_need() -> None:
    mags = [1.0] * 48 + [2.3, 2.4, 2.5, 2.3, 2.6, 2.7, 2.3, 2.9, 3.0, 2.4, 2.5, 3.3]
    with pytest.raises(InsufficientData) as info:
        bvalue(mags, mc=2.3)
    assert str(info.value) == ("bvalue needs at least 50 events at or above Mc=2.3; the selection has 12")
    assert (info.value.have, info.value.need) == (12, 50)


def test_all_equal_magnitudes_raise_insufficient_data() -> None:
    with pytest.raises(InsufficientData) as info:
        bvalue([2.5] * 100, mc=2.5)
    assert (info.value.have, info.value.need) == (1, 2)


def test_empty_selection_raises_insufficient_data() -> None:
    with pytest.raises(InsufficientData, match="the selection has 0"):
        bvalue([])


def test_series_recovers_a_step_in_b() -> None:
    # given: 2000 events with b = 1.0 then 2000 with b = 0.6, one per 0.01 day
    mags = np.concatenate([gr_magnitudes(2000, 1.0, 1.95, 1), gr_magnitudes(2000, 0.6, 1.95, 2)])
    times = np.arange(mags.size) * 0.01
    # when
    result = bvalue_series(mags, times, window=400, step=100, mc=2.0)
    # then
    assert set(result) == {"t", "b", "b_err", "mc", "window", "step"}
    assert len(result["t"]) == len(result["b"]) == (4000 - 400) // 100 + 1
    assert abs(result["b"][0] - 1.0) < 3 * result["b_err"][0]
    assert abs(result["b"][-1] - 0.6) < 3 * result["b_err"][-1]
    assert result["t"][0] == pytest.approx(3.99)


def test_series_gives_iso_times_for_datetime_input() -> None:
    mags = gr_magnitudes(500, 1.0, 1.95, 3)
    times = np.datetime64("2024-01-01T00:00:00") + np.arange(500) * np.timedelta64(1, "h")
    result = bvalue_series(mags, times, window=200, step=100, mc=2.0)
    assert result["t"][0] == "2024-01-09T07:00:00"


def test_series_with_less_than_one_day_raises() -> None:
    mags = gr_magnitudes(500, 1.0, 1.95, 3)
    with pytest.raises(InsufficientData, match="at least 1 day of data"):
        bvalue_series(mags, np.linspace(0, 0.5, 500), mc=2.0)
