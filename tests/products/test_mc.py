"""Magnitude of completeness: maxc and gft."""

from __future__ import annotations

import numpy as np
import pytest

from products.methods._common import bin_values
from products.methods.errors import InsufficientData
from products.methods.mc import mc
from tests.products.products_data import gr_magnitudes


def test_maxc_ties_go_to_the_lower_bin() -> None:
    # given: 8 events at 1.0, 8 at 1.1 (a tie for the most populated bin), 4 at 1.2
    mags = [1.0] * 8 + [1.1] * 8 + [1.2] * 4
    # when
    result = mc(mags)
    # then: maxc = 1.0 (lower of the tie) + 0.2 correction
    assert result == {"mc": 1.2, "method": "maxc"}


def test_mc_is_rounded_to_the_bin_without_float_noise() -> None:
    # given: the most populated bin is 2.7; 2.7 + 0.2 is 2.9000000000000004 in floats
    assert 2.7 + 0.2 != 2.9
    mags = [2.7] * 10 + [2.8] * 6 + [3.0] * 4 + [2.6] * 2
    # when
    result = mc(mags)
    # then
    assert repr(result["mc"]) == "2.9"


def test_binning_rounds_half_up_like_seismostats() -> None:
    from seismostats.utils import bin_to_precision

    values = np.array([-0.05, 0.05, 0.15, 1.25, 2.35, 2.45, 3.449999, -1.15, 0.04999])
    assert bin_values(values, 0.1).tolist() == bin_to_precision(values, 0.1).tolist()
    assert bin_values(values, 0.1).tolist() == [
        0.0,
        0.1,
        0.2,
        1.3,
        2.4,
        2.5,
        3.4,
        -1.1,
        0.0,
    ]


def test_maxc_matches_seismostats_on_the_sed_catalog(sed_catalog) -> None:
    from seismostats.analysis import estimate_mc_maxc
    from seismostats.utils import bin_to_precision

    mags = sed_catalog["magnitudes"]
    expected, _ = estimate_mc_maxc(bin_to_precision(mags, 0.1), fmd_bin=0.1)
    result = mc(mags, mc_method="maxc", bin=0.1)
    assert result["mc"] == pytest.approx(expected, abs=1e-9)
    assert repr(result["mc"]) == repr(round(float(expected), 1))


def test_gft_finds_the_completeness_of_a_synthetic_catalog() -> None:
    # given: complete GR above 2.0, plus a thinned incomplete part below
    rng = np.random.default_rng(3)
    complete = gr_magnitudes(5000, 1.0, 1.95, seed=3)
    low = gr_magnitudes(20000, 1.0, 0.95, seed=4)
    low = low[low < 1.95]
    detect = rng.uniform(size=low.size) < np.clip((low - 0.95) / 1.0, 0, 1) ** 2
    mags = np.concatenate([complete, low[detect]])
    # when
    result = mc(mags, mc_method="gft")
    # then
    assert result["method"] in {"gft95", "gft90"}
    assert 1.8 <= result["mc"] <= 2.2


def test_gft_falls_back_to_maxc_without_correction_when_no_fit_reaches_90() -> None:
    # given: a flat, non-GR distribution
    mags = np.repeat(np.round(np.arange(1.0, 3.0, 0.1), 1), 10)
    # when
    result = mc(mags, mc_method="gft")
    # then
    assert result == {"mc": 1.0, "method": "maxc_fallback"}


@pytest.mark.parametrize(
    ("mags", "have", "need", "message"),
    [
        ([2.0] * 5, 5, 20, "mc needs at least 20 events; the selection has 5"),
        (
            [2.0] * 30,
            1,
            2,
            "mc needs at least 2 distinct magnitude bins; the selection has 1",
        ),
    ],
)
def test_mc_raises_insufficient_data(mags, have, need, message) -> None:
    with pytest.raises(InsufficientData) as info:
        mc(mags)
    assert (info.value.have, info.value.need, str(info.value)) == (have, need, message)
