"""The series APIs: reading (JSON, CSV, IAGA-2002 round trips), exact statuses, the import
job through the API (and the real Celery worker), the command."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from observations.models import SeriesDay, SeriesImport
from observations.series_selectors import series_samples
from observations.services.series_import import series_import_file
from observations.services.series_store import series_write
from portal.models import Notification
from tests.observations.factories import ChannelFactory, StationFactory, geomagnetic_item
from tests.observations.test_series_imports import iaga

T0 = dt.datetime(2025, 4, 11, tzinfo=dt.UTC)
URL = "/api/v1/series/"


@pytest.fixture
def h_channel(jx):
    station = StationFactory(bureau=jx, code="JXG", kind="geomagnetic")
    return ChannelFactory(
        station=station, item=geomagnetic_item("H"), plausible_min=30000, plausible_max=45000
    )


@pytest.fixture
def day_of_h(h_channel):
    rng = np.random.default_rng(5)
    values = np.round(38000 + 10 * rng.standard_normal(1440), 2).astype(np.float32)
    values[600:660] = np.nan
    series_write(channel=h_channel, start=T0, values=values, actor=None)
    return values


def _get(client, **params):
    return client.get(URL, params)


@pytest.mark.django_db
def test_json_raw_and_hourly(api, jx_viewer, h_channel, day_of_h):
    client = api(jx_viewer, "JX")
    raw = _get(client, channel=h_channel.pk, start="2025-04-11T00:00:00Z", end="2025-04-12T00:00:00Z")
    assert raw.status_code == 200
    body = raw.json()
    assert (body["channel"], body["unit"], body["resolution"], body["step_seconds"]) == (
        h_channel.pk,
        "nT",
        "raw",
        60,
    )
    assert body["start"] == "2025-04-11T00:00:00Z"
    assert len(body["values"]) == 1440
    assert body["values"][600] is None
    assert np.float32(body["values"][0]) == day_of_h[0]
    hourly = _get(
        client,
        channel=h_channel.pk,
        start="2025-04-11T00:00:00Z",
        end="2025-04-12T00:00:00Z",
        resolution="1h",
    )
    values = hourly.json()["values"]
    assert values[10] is None
    assert values[3] == pytest.approx(float(np.mean(day_of_h[180:240].astype(np.float64))))


@pytest.mark.django_db
def test_csv_output_imports_back_to_the_same_values(api, jx, jx_viewer, h_channel, day_of_h, as_actor):
    client = api(jx_viewer, "JX")
    response = _get(
        client, channel=h_channel.pk, start="2025-04-11T00:00:00Z", end="2025-04-12T00:00:00Z", format="csv"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"time,JXG:GM_H\n2025-04-11T00:00:00Z,")
    SeriesDay.objects.all().delete()
    series_import_file(bureau=jx, data=content, file_format="csv", actor=None)
    back = series_samples(
        actor=as_actor(jx_viewer, "JX"), channel=h_channel, start=T0, end=T0 + dt.timedelta(days=1)
    )
    assert np.array_equal(back, day_of_h, equal_nan=True)


@pytest.mark.django_db
def test_iaga_output_imports_back_to_the_same_values(api, jx, jx_viewer, h_channel, day_of_h, as_actor):
    client = api(jx_viewer, "JX")
    response = _get(
        client,
        channel=h_channel.pk,
        start="2025-04-11T00:00:00Z",
        end="2025-04-12T00:00:00Z",
        format="iaga2002",
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert text.splitlines()[0].startswith(" Format                 IAGA-2002")
    assert all(len(line) == 70 for line in text.splitlines()[:13])
    SeriesDay.objects.all().delete()
    series_import_file(bureau=jx, data=response.content, file_format="iaga2002", actor=None)
    back = series_samples(
        actor=as_actor(jx_viewer, "JX"), channel=h_channel, start=T0, end=T0 + dt.timedelta(days=1)
    )
    assert np.array_equal(back, day_of_h, equal_nan=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2025-04-10T00:00:00Z"}, "end"),
        ({"resolution": "5min"}, "resolution"),
        ({"start": "9999-01-01T00:00:00Z", "end": "9999-01-02T00:00:00Z"}, "start"),
        ({"start": "2025-04-11T00:00\x00"}, "NUL"),  # refused at the door (portal.middleware)
        ({"agg": "median"}, "agg"),
        ({"format": "xml"}, "format"),
        ({"channel": "abc"}, "channel"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(api, jx_viewer, h_channel, params, field):
    query = {
        "channel": h_channel.pk,
        "start": "2025-04-11T00:00:00Z",
        "end": "2025-04-12T00:00:00Z",
        **params,
    }
    response = _get(api(jx_viewer, "JX"), **query)
    assert response.status_code == 400
    body = response.json()
    assert field in body.get("errors", {}) or field in body["detail"], body


@pytest.mark.django_db
def test_too_many_values_is_413_with_the_count(api, jx_viewer, h_channel, settings):
    settings.SERIES_MAX_VALUES = 1000
    response = _get(
        api(jx_viewer, "JX"), channel=h_channel.pk, start="2025-04-11T00:00:00Z", end="2025-04-12T00:00:00Z"
    )
    assert response.status_code == 413
    assert "1440" in response.json()["detail"]


@pytest.mark.django_db
def test_another_bureaus_channel_is_404(api, nm_admin, h_channel, day_of_h):
    response = _get(
        api(nm_admin, "NM"), channel=h_channel.pk, start="2025-04-11T00:00:00Z", end="2025-04-12T00:00:00Z"
    )
    assert response.status_code == 404


def _upload(client, data: bytes, fmt: str = "iaga2002", **extra):
    return client.post(
        "/api/v1/series/imports/",
        {"file": SimpleUploadedFile("jxg20250411dmin.min", data), "format": fmt, **extra},
        format="multipart",
    )


def _rows(n: int = 30, h: float = 38000.0):
    return [(T0 + dt.timedelta(minutes=i), [h, 45000.0]) for i in range(n)]


@pytest.mark.django_db
def test_upload_runs_the_import_and_the_status_says_done(
    api, jx_admin, h_channel, jx, django_capture_on_commit_callbacks
):
    ChannelFactory(station=h_channel.station, item=geomagnetic_item("Z"))
    rows = _rows()
    rows[3] = (rows[3][0], [50000.0, 45000.0])
    with django_capture_on_commit_callbacks(execute=True):
        created = _upload(api(jx_admin, "JX"), iaga(rows))
    assert created.status_code == 202
    body = created.json()
    assert set(body) == {"id", "status", "status_url"}
    status = api(jx_admin, "JX").get(body["status_url"]).json()
    assert status["status"] == "done"
    assert (status["samples_stored"], status["flagged"], status["progress"]) == (60, 1, 100)
    assert status["flagged_lines"] == [9 + 3]  # 7 header records, the heading, then the data
    assert len(status["channels_touched"]) == 2


@pytest.mark.django_db
def test_a_bad_upload_fails_visibly_with_the_line(
    api, jx_admin, h_channel, django_capture_on_commit_callbacks
):
    lines = iaga(_rows()).decode().splitlines()
    lines[12] = lines[12][:25]
    with django_capture_on_commit_callbacks(execute=True):
        created = _upload(api(jx_admin, "JX"), "\n".join(lines).encode())
    assert created.status_code == 202
    status = api(jx_admin, "JX").get(created.json()["status_url"]).json()
    assert status["status"] == "failed"
    assert status["rejected_lines"] == [13]
    assert "13" in status["error"]
    assert not SeriesDay.objects.exists()
    assert Notification.objects.filter(kind="observations.series_import").count() == 1


@pytest.mark.django_db
def test_who_may_upload(api, jx_viewer, jx_expert, nm_admin, h_channel):
    assert _upload(api(jx_viewer, "JX"), iaga(_rows())).status_code == 403
    # a fluids expert may upload, but not into a geomagnetic channel: the job fails, 403 if named
    assert _upload(api(jx_expert, "JX"), iaga(_rows()), channel=h_channel.pk).status_code == 403
    # another bureau's channel is not theirs to name
    response = _upload(api(nm_admin, "NM"), iaga(_rows()), channel=h_channel.pk)
    assert response.status_code == 400
    assert "channel" in response.json()["errors"]
    assert _upload(api(jx_viewer, "JX"), b"", fmt="csv").status_code == 400


@pytest.mark.django_db
def test_another_bureaus_import_status_is_404(api, jx_admin, nm_admin, h_channel):
    created = _upload(api(jx_admin, "JX"), iaga(_rows()))
    assert api(nm_admin, "NM").get(created.json()["status_url"]).status_code == 404


@pytest.mark.django_db
def test_the_command_imports_and_refuses(tmp_path, h_channel, jx, jx_viewer, as_actor):
    good = tmp_path / "good.min"
    good.write_bytes(iaga(_rows(10, h=38001.0)))
    ChannelFactory(station=h_channel.station, item=geomagnetic_item("Z"))
    call_command("import_series", str(good), "--format", "iaga2002", "--station", "JXG")
    back = series_samples(
        actor=as_actor(jx_viewer, "JX"), channel=h_channel, start=T0, end=T0 + dt.timedelta(minutes=10)
    )
    assert np.all(back == np.float32(38001.0))
    bad = tmp_path / "bad.csv"
    bad.write_text("time,JXG:GM_H\n2025-04-12T00:00:00Z,1\n2025-04-12T00:00:30Z,2\n")
    with pytest.raises(CommandError, match="line 3"):
        call_command("import_series", str(bad), "--format", "csv", "--bureau", "JX")
    assert not SeriesDay.objects.filter(day=dt.date(2025, 4, 12)).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_runs_an_import(api, real_celery, jx_admin, h_channel):
    ChannelFactory(station=h_channel.station, item=geomagnetic_item("Z"))
    client = api(jx_admin, "JX")
    created = _upload(client, iaga(_rows(60)))
    assert created.status_code == 202
    deadline = time.monotonic() + 60
    status = created.json()
    while status["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        status = client.get(created.json()["status_url"]).json()
    assert status["status"] == "done", status
    assert status["samples_stored"] == 120
    assert SeriesImport.objects.get().status == "done"
    assert SeriesDay.objects.count() == 2


@pytest.mark.django_db
def test_the_watchdog_fails_an_import_whose_worker_died(jx, jx_admin, h_channel):
    from django.utils import timezone

    from portal import jobs

    record = SeriesImport.objects.create(
        bureau=jx,
        filename="x.min",
        format="iaga2002",
        status=SeriesImport.Status.RUNNING,
        started_at=timezone.now() - dt.timedelta(minutes=30),
        requested_by=jx_admin,
    )
    done = jobs.watchdog()
    assert done["observations.series_import"] == [record.pk]
    record.refresh_from_db()
    assert record.status == SeriesImport.Status.FAILED
    assert record.error
    assert Notification.objects.filter(recipient=jx_admin, kind="observations.series_import").count() == 1


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_400(api, jx_admin, h_channel, settings):
    settings.SERIES_MAX_UPLOAD_BYTES = 100
    response = _upload(api(jx_admin, "JX"), iaga(_rows()))
    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not SeriesImport.objects.exists()
