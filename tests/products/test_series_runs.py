"""Runs over observation series: the request's ``series`` part, the engine reading the samples
with the spans QC or a person marked left out, the result saying how much was left out, and
the trend_residual method finding an injected anomaly (and nothing on the clean part)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations.models import QcDay, QcFlag, QcVerdict
from observations.services.series_store import series_write
from products.methods import registry
from products.models import ProductRun, ProductSchedule
from products.series_inputs import SeriesInput
from tests.observations.factories import ChannelFactory, StationFactory

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DAYS = 240
BUMP = (150, 160)  # days of the injected anomaly


def _curve(days: int = DAYS, seed: int = 3) -> np.ndarray:
    """Hourly water level: a semidiurnal tide, a slow annual wave and noise (metres)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24, dtype=float)
    values = (
        -12.0
        + 0.04 * np.sin(2 * np.pi * hours / 12.42)
        + 0.05 * np.sin(2 * np.pi * hours / 8766.0)
        + 0.002 * rng.standard_normal(hours.size)
    )
    return values


def _as_input(values: np.ndarray, interval: int = 3600) -> SeriesInput:
    return SeriesInput(
        channel=1,
        station="ST",
        item="WL",
        unit="m",
        interval=interval,
        start=T0,
        values=values.astype(float),
        latitude=29.0,
        longitude=115.0,
        expected=values.size,
        present=int(np.isfinite(values).sum()),
        excluded=0,
        excluded_spans=[],
    )


def test_trend_residual_finds_the_injected_bump_and_nothing_else():
    values = _curve()
    values[BUMP[0] * 24 : BUMP[1] * 24] += 0.05  # ~ 25 noise sigmas of a daily mean
    result = registry.run("trend_residual", {"series": [_as_input(values)]}, {"k": 4.0, "min_days": 3})
    # the bump spans UTC days 150-159; in Beijing days (UTC+8) it touches 05-31 to 06-10
    assert [(a["start"], a["end"], a["sign"]) for a in result["anomalies"]] == [
        ("2025-05-31", "2025-06-10", 1)
    ]


def test_trend_residual_clean_series_has_no_anomaly():
    result = registry.run("trend_residual", {"series": [_as_input(_curve())]}, {"k": 4.0, "min_days": 3})
    assert result["anomalies"] == []
    # 240 UTC days are 241 Beijing days, of which the first (16 h) and last (8 h) lack 80 %
    assert result["n_days"] == DAYS - 1


def test_trend_residual_refuses_a_short_series():
    from products.methods.errors import InsufficientData

    with pytest.raises(InsufficientData, match="at least 60 days"):
        registry.run("trend_residual", {"series": [_as_input(_curve(days=20))]}, {})


@pytest.fixture
def wl_channel(jx):
    station = StationFactory(bureau=jx, code="JXW1", kind="well")
    channel = ChannelFactory(station=station, interval=3600)
    values = _curve()
    values[BUMP[0] * 24 : BUMP[1] * 24] += 0.05
    series_write(channel=channel, start=T0, values=values.astype(np.float32), actor=None)
    return channel


def _post(client, **body):
    return client.post("/api/v1/products/", body, format="json")


@pytest.mark.django_db
def test_run_over_a_series_through_the_api(api, jx_expert, wl_channel, django_capture_on_commit_callbacks):
    # a person judged ten hours of day 20 an instrument fault: the run leaves them out
    day = (T0 + dt.timedelta(days=20)).date()
    qc_day = QcDay.objects.create(
        bureau=wl_channel.bureau, channel=wl_channel, day=day, checked_at=T0, status="reviewed"
    )
    QcFlag.objects.create(
        bureau=wl_channel.bureau,
        channel=wl_channel,
        qc_day=qc_day,
        kind=QcFlag.Kind.MARKED,
        start=T0 + dt.timedelta(days=20, hours=2),
        end=T0 + dt.timedelta(days=20, hours=12),
        verdict=QcVerdict.FAULT,
    )
    client = api(jx_expert)
    series = {"channel": wl_channel.pk, "start": "2025-01-01T00:00:00Z", "end": "2025-08-29T00:00:00Z"}
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, method="trend_residual", params={"k": 4.0}, series=series)
    assert response.status_code == 202
    run = client.get(f"/api/v1/products/{response.json()['id']}/").json()
    assert run["status"] == "succeeded", run["error"]
    result = run["result"]
    assert [(a["start"], a["end"]) for a in result["anomalies"]] == [("2025-05-31", "2025-06-10")]
    (used,) = result["input_series"]
    assert (used["channel"], used["samples_expected"], used["samples_excluded"]) == (
        wl_channel.pk,
        DAYS * 24,
        10,
    )
    assert used["samples_used"] == DAYS * 24 - 10
    assert run["figures"]


@pytest.mark.django_db
def test_series_request_errors_name_the_part(api, jx_expert, wl_channel, nm):
    client = api(jx_expert)
    missing = _post(client, method="trend_residual")
    assert missing.status_code == 400
    assert "series" in missing.json()["errors"]
    other = StationFactory(bureau=nm, code="NMW1")
    foreign = ChannelFactory(station=other, bureau=nm)
    refused = _post(client, method="trend_residual", series={"channel": foreign.pk, "days": 30})
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"series.channel": [f"no channel {foreign.pk}"]}
    bad = _post(
        client,
        method="trend_residual",
        series=[{"channel": wl_channel.pk, "start": "yesterday", "end": "2025-02-01"}],
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"series.0.start"}
    backwards = _post(
        client,
        method="trend_residual",
        series={"channel": wl_channel.pk, "start": "2025-02-01", "end": "2025-01-01"},
    )
    assert backwards.json()["errors"] == {"series.end": ["must be after start"]}
    not_series = _post(client, method="mc", series={"channel": wl_channel.pk, "days": 30})
    assert not_series.status_code == 403  # a fluid expert runs fluid methods, not seismology's


@pytest.mark.django_db
def test_catalog_method_refuses_series(api, jx_forecaster, wl_channel):
    response = _post(api(jx_forecaster), method="mc", series={"channel": wl_channel.pk, "days": 30})
    assert response.status_code == 400
    assert response.json()["errors"] == {"series": ["mc reads a catalog, not observation series"]}


@pytest.mark.django_db
def test_run_form_offers_an_experts_methods_and_their_channels(client, jx_expert, wl_channel):
    client.force_login(jx_expert)
    page = client.get("/products/new/")
    assert page.status_code == 200
    # a fluid expert starts on a method of the fluids, and is offered no seismology method
    assert page.context["method"]["discipline"] == "fluid"
    assert {m["name"] for m in page.context["methods"]} >= {"trend_residual", "barometric_tidal_correction"}
    assert "bvalue" not in {m["name"] for m in page.context["methods"]}
    form = client.get("/products/new/", {"method": "trend_residual"})
    assert f'<option value="{wl_channel.pk}"' in form.content.decode()
    assert form.context["catalog_fields"] == []


@pytest.mark.django_db
def test_run_form_posts_a_series_run(client, jx_expert, wl_channel, django_capture_on_commit_callbacks):
    client.force_login(jx_expert)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/products/new/",
            {
                "method": "trend_residual",
                "series.channel": [str(wl_channel.pk)],
                "series.start": "2025-01-01",
                "series.end": "2025-08-29",
                "params.k": "4",
            },
        )
    assert response.status_code == 302
    from products.models import ProductRun

    run = ProductRun.objects.get()
    assert (run.status, run.selection["series"][0]["channel"]) == ("succeeded", wl_channel.pk)
    assert [(a["start"], a["end"]) for a in run.result["anomalies"]] == [("2025-05-31", "2025-06-10")]


@pytest.mark.django_db
def test_run_form_without_a_channel_says_so(client, jx_expert, wl_channel):
    client.force_login(jx_expert)
    response = client.post("/products/new/", {"method": "trend_residual", "series.days": "30"})
    assert response.status_code == 400
    assert "series" in response.context["errors"]


@pytest.mark.django_db
def test_an_expert_schedules_a_series_method_over_a_moving_window(
    client, jx_expert, wl_channel, django_capture_on_commit_callbacks
):
    client.force_login(jx_expert)
    form = client.get("/products/schedules/new/", {"method": "trend_residual"})
    assert form.status_code == 200
    assert f'<option value="{wl_channel.pk}"' in form.content.decode()
    assert "bvalue" not in {m["name"] for m in form.context["methods"]}
    posted = {
        "save": "1",
        "method": "trend_residual",
        "name": "水位日残差",
        "is_enabled": "on",
        "minute": "0",
        "hour": "7",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
        "series.channel": [str(wl_channel.pk)],
        "series.days": "200",
    }
    assert client.post("/products/schedules/new/", posted).status_code == 302
    schedule = ProductSchedule.objects.get()
    assert schedule.selection == {"series": [{"channel": wl_channel.pk, "days": 200.0}]}
    edit = client.get(f"/products/schedules/{schedule.pk}/")
    assert edit.context["series_days"] == "200"
    assert edit.context["series_chosen"] == {str(wl_channel.pk)}
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/products/schedules/{schedule.pk}/run/").status_code == 302
    run = ProductRun.objects.get()
    (window,) = run.selection["series"]
    start, end = (dt.datetime.fromisoformat(window[k].replace("Z", "+00:00")) for k in ("start", "end"))
    assert (window["channel"], round((end - start).total_seconds() / 86400)) == (wl_channel.pk, 200)


@pytest.mark.django_db
def test_an_expert_may_not_schedule_another_disciplines_method(client, jx_expert):
    client.force_login(jx_expert)
    response = client.post(
        "/products/schedules/new/",
        {
            "save": "1",
            "method": "bvalue",
            "name": "b",
            "minute": "0",
            "hour": "6",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            "catalog.jurisdiction": "on",
            "catalog.days": "30",
        },
    )
    assert response.status_code == 403
    assert not ProductSchedule.objects.exists()


@pytest.mark.django_db
def test_a_refusal_of_too_short_a_series_reads_in_the_readers_language(
    api, jx_expert, wl_channel, django_capture_on_commit_callbacks
):
    client = api(jx_expert)
    series = {"channel": wl_channel.pk, "start": "2025-01-01T00:00:00Z", "end": "2025-01-11T00:00:00Z"}
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _post(client, method="trend_residual", series=series).json()["id"]
    english = client.get(f"/api/v1/products/{run_id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get(f"/api/v1/products/{run_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english["status"] == "failed"
    assert english["error"].startswith("Not enough data: the selection has 9, the method needs 60.")
    assert chinese["error"].startswith("数据不足")
    # the method's own sentence, naming what it needs, stays as the detail in both
    assert english["error"].split(" (", 1)[1] == chinese["error"].split(" (", 1)[1]
