import datetime as dt

import pytest
from django.utils import timezone

from portal import search_services
from tests.factories import AnomalyFactory, EventFactory
from trends.models import TrendReport

BEIJING_OCT = dt.datetime(2026, 10, 31, 8, tzinfo=dt.UTC)


@pytest.fixture
def corpus(jx, nm, cenc, disciplines):
    """A fixed set of Chinese documents: published (assessed) anomalies of JX, events, two
    monthly trend reports; each query of the relevance tests has one expected first."""
    fluid, em = disciplines["fluid"], disciplines["electromagnetism"]
    made = {}

    def anomaly(key, *, bureau=jx, discipline=fluid, state="assessed", **fields):
        fields.setdefault("assessed_at", timezone.now() if state != "reported" else None)
        made[key] = AnomalyFactory(bureau=bureau, discipline=discipline, state=state, **fields)

    anomaly(
        "jiujiang_level",
        station="九江台",
        observation_item="水位",
        description="九江台水位呈趋势性下降，幅度约0.6米，已排除抽水干扰。",
    )
    anomaly(
        "nanchang_temp",
        station="南昌台",
        observation_item="水温",
        description="南昌台水温突升0.02度，九江方向无同步变化。",
    )
    anomaly(
        "far_mention",
        station="上饶台",
        observation_item="水氡",
        description="距九江约200公里，水位与水氡均无异常。",
    )
    anomaly(
        "ruichang_ratio",
        station="瑞昌台",
        observation_item="地电阻率",
        discipline=em,
        description="地电阻率逐日比异常显著，NS向下降2%。",
    )
    anomaly(
        "ratio_mention",
        station="宜春台",
        observation_item="地磁",
        discipline=em,
        description="日变化正常，逐日比计算中。",
    )
    made["maduo_74"] = EventFactory(
        bureau=cenc, public_id="maduo-74", location_name="青海玛多", magnitude=7.4
    )
    made["maduo_51"] = EventFactory(
        bureau=cenc, public_id="maduo-51", location_name="青海玛多", magnitude=5.1
    )
    made["luding_68"] = EventFactory(
        bureau=cenc, public_id="luding-68", location_name="四川泸定", magnitude=6.8
    )
    made["october"] = TrendReport.objects.create(
        bureau=jx,
        month=dt.date(2026, 10, 1),
        title="2026年10月江西省地震趋势月报",
        search_text="十月 10月 October 月报 月度趋势",
        status="issued",
    )
    made["september"] = TrendReport.objects.create(
        bureau=jx,
        month=dt.date(2026, 9, 1),
        title="2026年9月江西省地震趋势月报",
        search_text="九月 9月 September 月报 月度趋势",
        status="issued",
    )
    search_services.rebuild()
    return made
