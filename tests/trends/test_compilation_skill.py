"""The trend report's anomaly section cites the forecast skill of each anomaly's channel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from disciplines.models import Anomaly
from portal.tenancy import bureau_reader
from skill import services as skill_services
from tests.factories import AnomalyFactory, EventFactory
from tests.observations.factories import ChannelFactory, StationFactory
from trends.compilation import CompileContext, compile_section
from trends.rendering import data_blocks

pytestmark = pytest.mark.django_db
BJT = dt.timezone(dt.timedelta(hours=8))
OCTOBER = dt.date(2026, 10, 1)


def test_anomaly_rows_cite_their_channel_skill(jx):
    channel = ChannelFactory(station=StationFactory(bureau=jx, code="JX-SK"))
    # a rule's detection under tracking in October, on a channel with a history
    tracking = AnomalyFactory(
        bureau=jx,
        channel=channel,
        discipline=channel.discipline,
        source="product",
        onset_at=dt.datetime(2026, 9, 20, tzinfo=BJT),
    )
    Anomaly.objects.filter(pk=tracking.pk).update(
        state="tracking", assessed_at=dt.datetime(2026, 10, 2, tzinfo=BJT)
    )
    AnomalyFactory(
        bureau=jx,
        channel=channel,
        discipline=channel.discipline,
        source="product",
        onset_at=dt.datetime(2025, 1, 1, tzinfo=BJT),
    )
    EventFactory(
        bureau=jx,
        origin_time=dt.datetime(2025, 2, 1, tzinfo=BJT),
        magnitude=5.5,
        longitude=115.9,
        latitude=28.7,
    )
    skill_services.score_bureau(bureau=jx, now=dt.datetime(2026, 11, 1, tzinfo=BJT))
    # an anomaly without a channel cites nothing
    plain = AnomalyFactory(
        bureau=jx, discipline=channel.discipline, onset_at=dt.datetime(2026, 10, 5, tzinfo=BJT)
    )
    Anomaly.objects.filter(pk=plain.pk).update(created_at=dt.datetime(2026, 10, 5, tzinfo=BJT))

    data = compile_section(
        "anomalies", CompileContext(bureau=jx, month=OCTOBER, reader=bureau_reader(jx))
    ).data

    rows = {row["id"]: row for row in data["rows"]}
    cited = rows[tracking.pk]["skill"]
    assert cited["alarms"] == 2
    assert cited["hits"] == 1
    assert cited["url"] == f"/skill/channels/{channel.pk}/"
    assert cited["r_score"] is not None
    assert rows[plain.pk]["skill"] is None
    with translation.override("en"):
        table = data_blocks("anomalies", data)[1]
    assert table.columns[-1] == "Channel skill"
    cell = next(row[-1] for row in table.rows if row[0].url == f"/disciplines/anomalies/{tracking.pk}/")
    assert cell.url == f"/skill/channels/{channel.pk}/"
    assert cell.text.startswith(f"R {cited['r_score']:.2f} (R0 ")
