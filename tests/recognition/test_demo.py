"""The demo rule finds the trend departure injected ahead of the demo quake, and nothing on
the clean channel or the clean part; seeding again records nothing new."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from observations import series_demo
from recognition import demo
from recognition.models import Detection, RecognitionRule
from tests.observations.factories import ChannelFactory, StationFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 30)


def test_the_demo_rule_finds_the_injected_anomaly_and_nothing_else(jx, make_person):
    make_person("jx_expert_fluid", (jx, "expert", "fluid"))
    first = ChannelFactory(station=StationFactory(bureau=jx, code="JXA00"))
    clean = ChannelFactory(station=StationFactory(bureau=jx, code="JXA01"))
    loaded = series_demo.seed(bureau_codes=("JX",), months=13, today=TODAY, qc="skip")
    assert loaded["anomaly"]["channel"] == first.pk
    onset = dt.datetime.fromisoformat(loaded["anomaly"]["onset"]).date()

    demo.seed(io.StringIO())

    rule = RecognitionRule.objects.get()
    assert (rule.method, rule.item_code, rule.created_by.username) == (
        "trend_residual",
        "WL",
        "jx_expert_fluid",
    )
    found = [(d.channel_id, d.start, d.end) for d in Detection.objects.order_by("start")]
    assert found, "the injected anomaly was not found"
    assert {channel for channel, _start, _end in found} == {first.pk}
    assert all(start >= onset - dt.timedelta(days=3) for _channel, start, _end in found), (onset, found)
    assert not [d for d in Detection.objects.all() if d.channel_id == clean.pk]
    assert all(d.anomaly.source == "product" for d in Detection.objects.all())

    demo.seed(io.StringIO())
    assert Detection.objects.count() == len(found)
