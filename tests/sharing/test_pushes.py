"""Pushes (省里主动给): a standing grant to the bureaus chosen, and a notice to their people
when new data arrive (a quake, new series, a topic report; runs and issued reports by the
sweep), once per push and thing; stopping ends the grants."""

from __future__ import annotations

import pytest
from django.utils import timezone

from observations.models import SeriesDay
from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import AuditEvent, Notification
from sharing.models import Push, PushNotice
from sharing.services import pushes as services
from sharing.services.sync import datasets_sync
from tests.factories import BureauFactory, EventFactory, ProductRunFactory, TopicReportFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(datasets, jx_steward, nm_forecaster, nm_admin, as_actor):
    """JX pushes the series of its Xiushui well to NM."""
    push = services.push_create(
        actor=as_actor(jx_steward), dataset=datasets["station:JX-XS"], bureaus=["nm"], note="片区共享"
    )
    Notification.objects.all().delete()
    return push


def test_a_push_grants_the_bureaus_chosen_and_tells_their_people(
    datasets, channels, jx_steward, nm_forecaster, nm_admin, cenc_forecaster, as_actor
):
    # when
    push = services.push_create(actor=as_actor(jx_steward), dataset=datasets["station:JX-XS"], bureaus=["NM"])
    # then
    assert [g.grantee.code for g in push.grants.all()] == ["NM"]
    assert SeriesDay.objects.visible_to(as_actor(nm_forecaster)).count() == 4
    assert SeriesDay.objects.visible_to(as_actor(cenc_forecaster)).count() == 0
    told = Notification.objects.filter(kind="push")
    assert sorted(n.recipient.username for n in told) == ["nm_admin", "nm_forecaster"]
    assert {n.bureau.code for n in told} == {"NM"}
    assert list(
        AuditEvent.objects.filter(action__in=["push.create", "grant.create"]).values_list("action", flat=True)
    ) == [
        "grant.create",
        "push.create",
    ]


@pytest.mark.parametrize(("codes", "why"), [([], "none"), (["JX"], "own"), (["ZZ"], "unknown")])
def test_a_push_to_nobody_to_itself_or_to_an_unknown_bureau_is_400(
    datasets, jx_steward, as_actor, codes, why
):
    with pytest.raises(InvalidInput) as refused:
        services.push_create(actor=as_actor(jx_steward), dataset=datasets["station:JX-XS"], bureaus=codes)
    assert refused.value.field == "bureaus"
    assert not Push.objects.exists()


def test_only_a_steward_or_admin_of_the_owner_pushes(datasets, jx_forecaster, nm, as_actor):
    with pytest.raises(PermissionDenied):
        services.push_create(actor=as_actor(jx_forecaster), dataset=datasets["station:JX-XS"], bureaus=["NM"])


def test_new_series_are_told_once_an_hour(
    pushed, channels, nm_forecaster, django_capture_on_commit_callbacks
):
    from portal import hooks

    # when the station wrote (series_store announces series.written once the transaction
    # commits; the receiver enqueues the task, run eagerly in tests)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.fire(
            "series.written",
            bureau_id=pushed.bureau_id,
            spans={channels[0].pk: ("2026-11-20T00:00:00+00:00", "2026-11-20T01:00:00+00:00")},
        )
    # then
    notice = PushNotice.objects.get(push=pushed)
    assert notice.key.startswith("series:")
    assert notice.recipients == 2
    told = Notification.objects.get(recipient=nm_forecaster)
    assert told.url == pushed.dataset.get_absolute_url()
    assert "JX-XS" in told.title
    # and within the hour, more data tell no one again
    assert services.announce_series(bureau_id=pushed.bureau_id, channel_ids=[channels[1].pk]) == []
    assert Notification.objects.filter(recipient=nm_forecaster).count() == 1


def test_a_quake_in_a_pushed_catalog_is_told_through_the_arrival_listener(
    jx, nm_forecaster, jx_steward, as_actor, django_capture_on_commit_callbacks
):
    from catalog import arrival
    from sharing.models import Dataset

    EventFactory(bureau=jx, public_id="jxfirst")
    datasets_sync(bureau_id=jx.pk)
    catalog = Dataset.objects.get(key="catalog")
    push = services.push_create(actor=as_actor(jx_steward), dataset=catalog, bureaus=["NM"])
    event = EventFactory(bureau=jx, public_id="jxquake", is_published=False, magnitude=4.6)
    concern = arrival.Concern(bureau=jx, rule=arrival.default_rule(jx), distance_km=0.0, inside=True)
    # the listener enqueues the task (eager in tests) for every concern: told once
    for _ in range(2):
        for listener in arrival._LISTENERS:
            if listener.__module__ == "sharing.receivers":
                listener(event, concern)
    assert list(PushNotice.objects.filter(push=push).values_list("key", flat=True)) == [f"event:{event.pk}"]
    told = Notification.objects.filter(recipient=nm_forecaster, kind="push").order_by("-id").first()
    assert told.url == event.get_absolute_url()


def test_a_topic_report_and_the_sweep_of_runs_are_told(jx, nm_forecaster, jx_steward, as_actor):
    from sharing.models import Dataset

    report = TopicReportFactory(event=EventFactory(bureau=jx), status="ready", ready_at=timezone.now())
    run = ProductRunFactory(
        bureau=jx, method="bvalue", status="succeeded", finished_at=timezone.now(), params_hash="a"
    )
    datasets_sync(bureau_id=jx.pk)
    steward = as_actor(jx_steward)
    topic = services.push_create(
        actor=steward, dataset=Dataset.objects.get(key="report:topic_report"), bureaus=["NM"]
    )
    runs = services.push_create(
        actor=steward, dataset=Dataset.objects.get(key="method:bvalue"), bureaus=["NM"]
    )
    # the topic_report.ready hook's task
    assert [n.key for n in services.announce_topic_report(report_id=report.pk)] == [
        f"report:topic_report:{report.pk}"
    ]
    # the sweep: what came since the push started
    later = ProductRunFactory(
        bureau=jx, method="bvalue", status="succeeded", finished_at=timezone.now(), params_hash="b"
    )
    keys = {n.key for n in services.pushes_sweep()}
    assert keys == {f"run:{later.pk}"}
    assert run.pk != later.pk
    assert services.pushes_sweep() == []  # told once
    assert {n.push_id for n in PushNotice.objects.all()} == {topic.pk, runs.pk}


def test_stopping_a_push_ends_its_grants_and_a_recipient_may_not_stop_it(
    pushed, channels, nm_forecaster, nm_admin, cenc_forecaster, jx_steward, as_actor
):
    with pytest.raises(PermissionDenied):
        services.push_stop(actor=as_actor(nm_admin), push=pushed)
    with pytest.raises(NotFound):
        services.push_stop(actor=as_actor(cenc_forecaster), push=pushed)
    stopped = services.push_stop(actor=as_actor(jx_steward), push=pushed, comment="片区会商结束")
    assert stopped.state == Push.State.STOPPED
    assert SeriesDay.objects.visible_to(as_actor(nm_forecaster)).count() == 0
    assert Notification.objects.filter(recipient=nm_forecaster, kind="push").exists()
    with pytest.raises(InvalidTransition):
        services.push_stop(actor=as_actor(jx_steward), push=pushed)
    # a stopped push announces nothing
    assert services.announce_series(bureau_id=pushed.bureau_id, channel_ids=[channels[0].pk]) == []


def test_a_not_shared_dataset_pushed_is_listed_to_its_recipients_only(
    datasets, jx_steward, nm_forecaster, cenc_forecaster, as_actor
):
    from sharing.models import Dataset
    from sharing.services.datasets import dataset_update

    steward = as_actor(jx_steward)
    dataset = dataset_update(actor=steward, dataset=datasets["station:JX-XS"], level="not_shared")
    assert not Dataset.objects.visible_to(as_actor(nm_forecaster)).filter(pk=dataset.pk).exists()
    services.push_create(actor=steward, dataset=dataset, bureaus=["NM"])
    assert Dataset.objects.visible_to(as_actor(nm_forecaster)).filter(pk=dataset.pk).exists()
    assert not Dataset.objects.visible_to(as_actor(cenc_forecaster)).filter(pk=dataset.pk).exists()


def test_a_recipient_without_people_to_tell_is_still_granted(datasets, jx_steward, as_actor):
    BureauFactory(code="GD", name_zh="广东省地震局", name_en="Guangdong")
    push = services.push_create(actor=as_actor(jx_steward), dataset=datasets["station:JX-XS"], bureaus=["GD"])
    assert [g.grantee.code for g in push.grants.all()] == ["GD"]
