"""The demo catalog: Gutenberg-Richter magnitudes, an Omori sequence, idempotent seeding."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from catalog.demo import _gutenberg_richter, _omori_days, seed
from catalog.models import Event, QuickReportMessage


def test_gutenberg_richter_sample_has_b_one():
    mags = _gutenberg_richter(np.random.default_rng(1), 200_000, 1.5)
    # Aki (1965) maximum likelihood with the binning correction of Utsu (1966)
    b = math.log10(math.e) / (mags.mean() - (1.5 - 0.05))
    assert b == pytest.approx(1.0, abs=0.02)


def test_omori_sample_decays_as_t_to_the_minus_p():
    days = _omori_days(np.random.default_rng(2), 100_000, c=0.05, p=1.1)
    # counts in [1, 2) and [10, 20) days: ratio ((1+c)^(1-p)-(2+c)^(1-p)) / ((10+c)^(1-p)-(20+c)^(1-p))
    early = np.count_nonzero((days >= 1) & (days < 2))
    late = np.count_nonzero((days >= 10) & (days < 20))
    expected = ((1.05**-0.1) - (2.05**-0.1)) / ((10.05**-0.1) - (20.05**-0.1))
    assert early / late == pytest.approx(expected, rel=0.05)


@pytest.mark.django_db
def test_seed_is_idempotent(jx, nm, cenc, make_person):
    make_person("jx_forecaster", (jx, "forecaster"))
    make_person("nm_forecaster", (nm, "forecaster"))
    seed(io.StringIO())
    counts = {code: Event.objects.filter(bureau__code=code).count() for code in ("JX", "NM", "CENC")}
    assert 3000 < counts["JX"] < 4000
    assert 4000 < counts["NM"] < 6000
    assert QuickReportMessage.objects.filter(bureau=jx, status="failed").count() == 1
    # the automatic report and its formal one are one event with two versions
    assert Event.objects.filter(bureau=jx, report_kind="formal", version=2).count() == 1
    seed(io.StringIO())
    assert {code: Event.objects.filter(bureau__code=code).count() for code in counts} == counts
    assert QuickReportMessage.objects.count() == 5


@pytest.mark.django_db
def test_demo_events_are_not_in_the_future(jx, nm, cenc):
    from django.utils import timezone

    seed(io.StringIO())
    assert not Event.objects.filter(origin_time__gt=timezone.now()).exists()
