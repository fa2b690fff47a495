"""The QC review pages: the queue (filters, order, empty), the day page for every role (the
form only for those who may review), a review and a batch review through the form, the links
from the nav and the channel page, the expert's dashboard panel."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from observations.models import QcDay, QcFlag, QcReview
from tests.observations.factories import ChannelFactory, FlaggedQcDayFactory, GapFlagFactory, StationFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def channel(jx):
    return ChannelFactory(station=StationFactory(bureau=jx, code="JXW"))


@pytest.fixture
def day(channel):
    day = FlaggedQcDayFactory(channel=channel, day=DAY)
    GapFlagFactory(
        qc_day=day,
        kind=QcFlag.Kind.SPIKE,
        start=dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 20, 2, 1, tzinfo=dt.UTC),
        value=3.25,
    )
    return day


def test_the_queue_lists_the_bureaus_flagged_days(client, jx_viewer, nm, day):
    FlaggedQcDayFactory(channel=ChannelFactory(station=StationFactory(bureau=nm, code="NMW")), day=DAY)
    FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=1), flagged=False)
    client.force_login(jx_viewer)
    response = client.get("/observations/qc/")
    assert response.status_code == 200
    page = response.content.decode()
    # one day: NM's and the clean day are not listed
    assert re.findall(r'href="/observations/qc/(\d+)/"', page) == [str(day.pk)]
    assert "世界时日，非北京时间" in page  # the days are UTC days, and the column says so
    assert "NMW" not in page


def test_the_queue_filters_and_refuses_a_bad_date(client, jx_viewer, day):
    client.force_login(jx_viewer)
    by_kind = client.get("/observations/qc/", {"kind": "step"})
    by_station = client.get("/observations/qc/", {"station": "JXW", "kind": "spike", "status": "auto"})
    bad = client.get("/observations/qc/", {"start": "2026-02-30"})
    assert (by_kind.status_code, by_station.status_code, bad.status_code) == (200, 200, 400)
    assert f"/observations/qc/{day.pk}/" not in by_kind.content.decode()
    assert f"/observations/qc/{day.pk}/" in by_station.content.decode()


def test_an_empty_queue_renders(client, jx_admin):
    client.force_login(jx_admin)
    response = client.get("/observations/qc/")
    assert response.status_code == 200
    assert 'id="qc-queue"' in response.content.decode()


@pytest.mark.parametrize(
    ("who", "form"),
    [
        ("jx_expert", True),
        ("jx_admin", True),
        ("jx_reporter", False),
        ("jx_viewer", False),
        ("jx_forecaster", False),
    ],
)
def test_the_day_page_renders_for_every_role_with_the_form_for_reviewers(client, request, day, who, form):
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"/observations/qc/{day.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert ('id="qc-review-form"' in page) is form
    assert f'class="series-plot mb-3" data-channel="{day.channel_id}"' in page
    assert 'data-start="2026-11-20T00:00:00Z" data-end="2026-11-21T00:00:00Z"' in page
    assert "2026-11-20 10:00:00" in page  # the spike at 02:00 UTC, in Beijing time


def test_another_bureau_gets_404_on_the_day_page(client, nm_admin, day):
    client.force_login(nm_admin)
    assert client.get(f"/observations/qc/{day.pk}/").status_code == 404
    assert client.post(f"/observations/qc/{day.pk}/", {"verdict": "ok"}).status_code == 404


def test_a_reporter_posting_a_review_gets_403(client, jx_reporter, day):
    client.force_login(jx_reporter)
    assert client.post(f"/observations/qc/{day.pk}/", {"verdict": "ok"}).status_code == 403
    assert QcReview.objects.count() == 0


def test_an_expert_reviews_a_week_of_rain_in_one_form(client, jx_expert, day):
    rain = [FlaggedQcDayFactory(channel=day.channel, day=DAY + dt.timedelta(days=n)) for n in (1, 2)]
    client.force_login(jx_expert)
    page = client.get(f"/observations/qc/{day.pk}/").content.decode()
    assert all(f'value="{d.pk}"' in page for d in rain)  # offered for the batch
    response = client.post(
        f"/observations/qc/{day.pk}/",
        {
            "verdict": "interference",
            "cause": "rainfall",
            "comment": "连续降雨",
            "days": [d.pk for d in rain],
            "start": "2026-11-20 08:00",
            "end": "2026-11-22 20:00",
        },
    )
    assert response.status_code == 302
    assert set(QcDay.objects.values_list("status", flat=True)) == {"reviewed"}
    first = QcFlag.objects.filter(kind="marked").order_by("start").first()
    assert first.start == dt.datetime(2026, 11, 20, 0, tzinfo=dt.UTC)  # 08:00 Beijing time
    after = client.get(f"/observations/qc/{day.pk}/").content.decode()
    assert 'data-verdict="interference"' in after
    assert "连续降雨" in after


def test_a_refused_review_shows_the_field_error(client, jx_expert, day):
    client.force_login(jx_expert)
    response = client.post(f"/observations/qc/{day.pk}/", {"verdict": "interference", "comment": "?"})
    assert response.status_code == 400
    assert QcReview.objects.count() == 0
    assert "invalid-feedback" in response.content.decode()


def test_the_nav_and_the_channel_page_link_to_the_queue(client, jx_viewer, day):
    client.force_login(jx_viewer)
    queue = client.get("/observations/stations/").content.decode()
    channel = client.get(day.channel.get_absolute_url()).content.decode()
    assert 'href="/observations/qc/"' in queue
    assert "/observations/qc/?station=JXW" in channel


def test_the_expert_dashboard_counts_the_days_to_review(client, jx_expert, day):
    client.force_login(jx_expert)
    page = client.get("/").content.decode()
    assert 'data-panel="observations-qc"' in page
    assert f'href="/observations/qc/{day.pk}/"' in page
