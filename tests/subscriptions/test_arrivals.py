"""Every fresh arrival reaches the subscriptions once, whether it concerns a bureau or none: a
quake abroad, one off the coast, one below every bureau's threshold; a new version of an event
already sent is sent as an update. Through the real path: a solution stored, the task
``catalog.event_arrived``, ``catalog.arrival.register_arrival_listener``, the matching task,
the delivery task (Celery eager, commit callbacks run)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from catalog import arrival
from catalog.services.events import Solution, event_record_solution
from subscriptions.models import SubscriptionDelivery, SubscriptionNotice
from subscriptions.services import subscriptions as subscription_services

pytestmark = pytest.mark.django_db

TOHOKU = (142.4, 38.3)
OFF_TAIWAN = (122.5, 23.5)  # east of Taiwan, at sea: in no bureau's jurisdiction


@pytest.fixture(autouse=True)
def _only_subscriptions(monkeypatch):
    """The bureaus' reactions and the per-concern listeners (reports, meetings, flows) are not
    under test: only what every arrival tells."""
    monkeypatch.setattr(arrival, "_REACTIONS", {})
    monkeypatch.setattr(arrival, "_LISTENERS", [])


def subscribe(person, bureau_code=None, **data):
    from portal.tenancy import actor_for

    body = {
        "region": None,
        "min_magnitude": 2.0,
        "channels": ["in_app"],
        "suppress_aftershocks": False,
        **data,
    }
    return subscription_services.subscription_create(actor=actor_for(person, bureau_code), data=body)


def record(bureau, lon, lat, magnitude, *, minutes_ago=3, origin=None):
    solution = Solution(
        origin_time=origin or timezone.now() - dt.timedelta(minutes=minutes_ago),
        latitude=lat,
        longitude=lon,
        depth_km=10.0,
        magnitude=magnitude,
        location_name="测试地震",
    )
    event, _created, _changed = event_record_solution(
        bureau=bureau, solution=solution, data_origin="quick_report", publish=True
    )
    return event


def test_a_quake_abroad_concerning_no_bureau_reaches_the_region_that_holds_it(
    jx, cenc, cenc_forecaster, jx_forecaster, django_capture_on_commit_callbacks
):
    japan = subscribe(cenc_forecaster, region={"center": list(TOHOKU), "radius_km": 300})
    china = subscribe(jx_forecaster)  # all of China: not a quake in Japan
    with django_capture_on_commit_callbacks(execute=True):
        event = record(cenc, *TOHOKU, 6.9)
    assert arrival.concerned_bureaus(event) == []  # no bureau acts on it
    (notice,) = SubscriptionNotice.objects.filter(event=event)
    assert notice.subscription_id == japan.pk
    assert china.notices.count() == 0
    assert [d.outcome for d in notice.deliveries.all()] == ["sent"]
    assert cenc_forecaster.notifications.filter(kind="subscription").count() == 1


def test_a_quake_at_sea_off_china_reaches_all_of_china(
    jx, cenc, jx_forecaster, django_capture_on_commit_callbacks
):
    china = subscribe(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        event = record(cenc, *OFF_TAIWAN, 5.6)
    assert arrival.concerned_bureaus(event) == []
    assert [n.event_id for n in china.notices.all()] == [event.pk]


def test_a_quake_below_every_bureaus_threshold_reaches_a_lower_subscription(
    jx, jx_forecaster, jx_chair, django_capture_on_commit_callbacks
):
    low = subscribe(jx_forecaster, region={"bureau": "JX"}, min_magnitude=2.0)
    subscribe(jx_chair, region={"bureau": "JX"}, min_magnitude=3.0)
    with django_capture_on_commit_callbacks(execute=True):
        event = record(jx, 115.0, 28.0, 2.4)
    assert arrival.concerned_bureaus(event) == []  # JX acts from M3.0
    assert [n.subscription_id for n in SubscriptionNotice.objects.filter(event=event)] == [low.pk]


def test_a_new_version_of_an_event_already_sent_is_sent_as_an_update(
    jx, jx_forecaster, django_capture_on_commit_callbacks
):
    mine = subscribe(jx_forecaster, region={"bureau": "JX"}, min_magnitude=3.0)
    origin = timezone.now() - dt.timedelta(minutes=4)
    with django_capture_on_commit_callbacks(execute=True):
        first = record(jx, 115.0, 28.0, 3.6, origin=origin)
    # the formal report, two seconds and a few km off: the same event, version 2
    with django_capture_on_commit_callbacks(execute=True):
        second = record(jx, 115.02, 28.01, 2.9, origin=origin + dt.timedelta(seconds=2))
    assert second.pk == first.pk
    assert second.version == 2
    notices = list(mine.notices.order_by("version"))
    # the update goes although M2.9 is now below the threshold: the person was told M3.6
    assert [(n.version, n.kind) for n in notices] == [(1, "new"), (2, "update")]
    assert notices[1].title == "更新：测试地震 M2.9"
    assert SubscriptionDelivery.objects.filter(notice__in=notices, outcome="sent").count() == 2
    titles = list(jx_forecaster.notifications.filter(kind="subscription").values_list("title", flat=True))
    assert sorted(titles) == sorted(n.title for n in notices)


def test_an_old_quake_is_no_arrival(jx, jx_forecaster, django_capture_on_commit_callbacks):
    subscribe(jx_forecaster)
    with django_capture_on_commit_callbacks(execute=True):
        record(jx, 115.0, 28.0, 4.5, minutes_ago=80 * 60)
    assert SubscriptionNotice.objects.count() == 0
