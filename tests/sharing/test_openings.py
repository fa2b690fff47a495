"""Grants reach visible_to: what a grant opens, narrows, and when it stops."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from observations.models import Channel, SeriesDay, Station
from sharing.models import Grant, Level
from sharing.services.requests import Scope, request_approve, request_create

pytestmark = pytest.mark.django_db


def _approve(nm_forecaster, jx_steward, dataset, as_actor, scope=None, granted=None, expires=None):
    request = request_create(
        actor=as_actor(nm_forecaster), dataset=dataset, purpose="研究", scope=scope or Scope()
    )
    return request_approve(actor=as_actor(jx_steward), request=request, scope=granted, expires=expires)


def test_series_hidden_until_granted_then_narrowed_to_channels_and_period(
    datasets, channels, nm_forecaster, jx_steward, as_actor
):
    level, _temperature = channels
    nm = as_actor(nm_forecaster)
    assert not Channel.objects.visible_to(nm).exists()
    assert not SeriesDay.objects.visible_to(nm).exists()
    _approve(
        nm_forecaster,
        jx_steward,
        datasets["station:JX-XS"],
        as_actor,
        scope=Scope(dt.date(2026, 11, 5), dt.date(2026, 11, 30), (level.pk,)),
    )
    assert list(Station.objects.visible_to(nm).values_list("code", flat=True)) == ["JX-XS"]
    assert list(Channel.objects.visible_to(nm)) == [level]
    assert list(SeriesDay.objects.visible_to(nm).values_list("channel_id", "day")) == [
        (level.pk, dt.date(2026, 11, 10))
    ]


def test_expired_or_revoked_grant_opens_nothing(datasets, channels, nm_forecaster, jx_steward, as_actor):
    nm = as_actor(nm_forecaster)
    request = _approve(nm_forecaster, jx_steward, datasets["station:JX-XS"], as_actor)
    assert SeriesDay.objects.visible_to(nm).count() == 4
    Grant.objects.filter(request=request).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert SeriesDay.objects.visible_to(nm).count() == 0


def test_open_level_opens_to_every_bureau(datasets, channels, nm_forecaster, as_actor):
    datasets["item:WL"].level = Level.OPEN
    datasets["item:WL"].save()
    nm = as_actor(nm_forecaster)
    assert list(Channel.objects.visible_to(nm)) == [channels[0]]
    assert SeriesDay.objects.visible_to(nm).count() == 2


def test_every_model_a_dataset_holds_rows_of_has_a_grant_source():
    from portal.grants import models_with_sources

    assert models_with_sources() == [
        "catalog.event",
        "consultations.consultationreport",
        "observations.channel",
        "observations.seriesday",
        "observations.station",
        "products.productrun",
        "reports.topicreport",
        "trends.trendreport",
    ]


def test_a_national_unit_reads_series_only_through_a_grant(datasets, channels, cenc_forecaster, as_actor):
    """Stations and channels are published to national units; their samples are not."""
    cenc = as_actor(cenc_forecaster)
    assert Channel.objects.visible_to(cenc).count() == 2
    assert not SeriesDay.objects.visible_to(cenc).exists()
    assert not SeriesDay.objects.opened_by_grant(cenc).exists()
