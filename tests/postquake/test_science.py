"""postquake.science: Båth, Reasenberg-Jones closed form vs numeric integration, Wells-Coppersmith."""

from __future__ import annotations

import math

import pytest
from scipy.integrate import quad

from postquake import science
from postquake.science import GENERIC, RJParameters


def test_bath_is_the_mainshock_less_1_2():
    assert science.bath_max_aftershock(6.0) == 4.8
    assert science.bath_max_aftershock(7.5) == 6.3


@pytest.mark.parametrize("p", [0.8, 1.0, 1.08, 1.4])
@pytest.mark.parametrize(("t1", "t2"), [(0.0, 1.0), (0.02, 7.02), (1.0, 31.0)])
def test_rj_expected_number_is_the_closed_form_of_the_rate_integral(p, t1, t2):
    params = RJParameters(a=-1.67, b=0.91, p=p, c=0.05)
    numeric, _err = quad(lambda t: science.rj_rate(t, 5.0, 6.5, params), t1, t2, limit=200)
    assert science.rj_expected(5.0, 6.5, t1, t2, params) == pytest.approx(numeric, rel=1e-8)


def test_rj_probability_worked_value_for_the_generic_parameters():
    # M >= 5.0 within the first day after an M6.0 (generic California, R&J 1989):
    # N = 10^(-1.67 + 0.91) * ((1.05)^-0.08 - (0.05)^-0.08) / -0.08
    #   = 0.17378 * (0.996105 - 1.270804) / -0.08 = 0.17378 * 3.43374 = 0.5967, P = 1 - e^-N = 0.4494
    n = 10 ** (-0.76) * (1.05**-0.08 - 0.05**-0.08) / -0.08
    assert n == pytest.approx(0.5967, abs=1e-4)
    assert science.rj_probability(5.0, 6.0, 0.0, 1.0, GENERIC) == pytest.approx(0.4494, abs=1e-4)
    assert science.rj_probability(5.0, 6.0, 0.0, 1.0, GENERIC) == pytest.approx(1 - math.exp(-n), rel=1e-12)


def test_the_p_equal_1_integral_is_the_logarithm():
    assert science.omori_integral(0.05, 1.0, 0.0, 1.0) == pytest.approx(math.log(1.05 / 0.05))
    assert science.omori_integral(0.05, 1.2, 2.0, 2.0) == 0.0


def test_probability_table_has_the_three_windows_and_thresholds():
    rows = science.probability_table(6.5, 0.0, GENERIC)
    assert {(r["min_magnitude"], r["days"]) for r in rows} == {
        (m, d) for m in (5.0, 5.5, 6.0) for d in (1, 7, 30)
    }
    # a longer window never has a smaller probability
    for m in (5.0, 5.5, 6.0):
        ps = [r["probability"] for r in rows if r["min_magnitude"] == m]
        assert ps == sorted(ps)
    # a threshold above the mainshock is left out: an M5.5 has only Mm-1 = 4.5 and 5.0
    assert {r["min_magnitude"] for r in science.probability_table(5.5, 0.0, GENERIC)} == {4.5, 5.0}


def test_wells_coppersmith_rupture_length_and_the_zone():
    # log10 L = -3.22 + 0.69 * 7.0 = 1.61 -> L = 40.7 km
    assert science.rupture_length_km(7.0) == pytest.approx(10**1.61)
    assert science.zone_radius_km(7.0) == pytest.approx(40.74, abs=0.01)
    assert science.zone_radius_km(5.0) == 10.0  # L = 1.7 km: the 10 km floor


def test_a_from_omori_inverts_k():
    a = science.a_from_omori(k=20.0, b=1.0, mainshock_magnitude=6.0, completeness=2.0)
    assert 10 ** (a + 1.0 * (6.0 - 2.0)) == pytest.approx(20.0)
