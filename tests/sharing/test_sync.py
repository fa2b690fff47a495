"""Datasets are made from what a bureau holds and kept up to date: on request at first,
the words kept once a person edits them, retired when the thing is gone."""

from __future__ import annotations

import datetime as dt

import pytest

from products.schedule_words import crontab_words
from sharing.models import Dataset, Level, Zone
from sharing.services.datasets import dataset_update
from sharing.services.sync import datasets_sync
from tests.factories import ConsultationReportFactory, EventFactory, ProductRunFactory

pytestmark = pytest.mark.django_db


def test_a_dataset_for_each_thing_held(jx, nm, channels, jx_forecaster):
    from products.models import ProductSchedule

    EventFactory(bureau=jx, origin_time=dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC))
    EventFactory(bureau=jx, public_id="jxdel", status="deleted")
    ProductRunFactory(bureau=jx, method="bvalue", status="succeeded")
    schedule = ProductSchedule.objects.create(bureau=jx, name="每日 b 值", method="bvalue")
    ConsultationReportFactory(meeting__bureau=jx, status="issued")
    EventFactory(bureau=nm, public_id="nm1")
    # when
    counts = datasets_sync(bureau_id=jx.pk)
    # then
    rows = {d.key: d for d in Dataset.objects.filter(bureau=jx)}
    assert sorted(rows) == [
        "catalog",
        "item:WL",
        "item:WT",
        "method:bvalue",
        "report:consultation_report",
        f"schedule:{schedule.pk}",
        "station:JX-XS",
    ]
    assert counts == {"made": 7, "refreshed": 0, "retired": 0}
    assert not Dataset.objects.filter(bureau=nm).exists()
    catalog = rows["catalog"]
    assert (catalog.rows, catalog.period_start, catalog.level, catalog.zone) == (
        1,
        dt.date(2026, 5, 1),
        Level.ON_REQUEST,
        Zone.REALTIME,
    )
    assert catalog.title_zh == "江西省地震局地震目录"
    assert catalog.coverage.equals(jx.jurisdiction)
    station = rows["station:JX-XS"]
    assert (station.rows, station.period_start, station.period_end, station.update_frequency) == (
        4,
        dt.date(2026, 11, 1),
        dt.date(2026, 11, 10),
        "realtime",
    )
    assert station.coverage.geom_type == "Point"
    assert rows["item:WL"].zone == Zone.CUSTOM
    assert rows["method:bvalue"].zone == Zone.PRODUCTS
    scheduled = rows[f"schedule:{schedule.pk}"]
    assert scheduled.for_schedule
    # its timing in each language's words, beside the crontab
    for language, description in (("en", scheduled.description_en), ("zh-hans", scheduled.description_zh)):
        words = crontab_words(schedule.crontab_text, language)
        assert words != schedule.crontab_text
        assert f"{words}: {schedule.crontab_text}" in description


def test_the_sync_is_idempotent_and_keeps_what_people_set(jx, datasets, jx_steward, as_actor):
    dataset = datasets["station:JX-XS"]
    dataset_update(actor=as_actor(jx_steward), dataset=dataset, level="open", title_zh="修水井流体资料")
    assert datasets_sync(bureau_id=jx.pk) == {"made": 0, "refreshed": 3, "retired": 0}
    dataset.refresh_from_db()
    assert (dataset.level, dataset.title_zh) == ("open", "修水井流体资料")


def test_a_deleted_schedule_retires_its_dataset_which_then_opens_nothing(
    jx, nm_forecaster, jx_steward, as_actor
):
    from products.models import ProductRun, ProductSchedule

    schedule = ProductSchedule.objects.create(bureau=jx, name="每日 b 值", method="bvalue")
    run = ProductRunFactory(bureau=jx, method="bvalue", status="succeeded", schedule=schedule)
    datasets_sync(bureau_id=jx.pk)
    dataset = Dataset.objects.get(key=f"schedule:{schedule.pk}")
    dataset_update(actor=as_actor(jx_steward), dataset=dataset, level="open")
    nm = as_actor(nm_forecaster)
    assert list(ProductRun.objects.visible_to(nm)) == [run]
    schedule.delete()
    assert datasets_sync(bureau_id=jx.pk)["retired"] == 1
    dataset.refresh_from_db()
    assert not dataset.is_active
    assert list(ProductRun.objects.visible_to(nm)) == []


def test_the_first_data_of_a_new_station_make_its_datasets(
    jx, nm, channels, django_capture_on_commit_callbacks
):
    from portal import hooks

    assert not Dataset.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        hooks.fire(
            "series.written",
            bureau_id=jx.pk,
            spans={channels[0].pk: ("2026-11-20T00:00:00+00:00", "2026-11-20T01:00:00+00:00")},
        )
    assert sorted(Dataset.objects.values_list("key", flat=True)) == ["item:WL", "station:JX-XS"]
    assert datasets_sync(bureau_id=jx.pk) == {"made": 1, "refreshed": 2, "retired": 0}  # item:WT too
