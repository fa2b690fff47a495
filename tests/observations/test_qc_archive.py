"""The monthly QC archive (质控运维档案): the PDF with the month's availability, flags,
reviews and instrument changes; who may generate it; downloads only for the station's
bureau; the beat job, where one failing station does not stop the others."""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path

import pytest

from observations.models import Instrument, QcArchive
from observations.services import qc_archive
from portal.models import AuditEvent
from portal.timefmt import today
from tests.observations.factories import (
    ChannelFactory,
    QcDayFactory,
    QcFlagFactory,
    QcReviewFactory,
    StationFactory,
)

pytestmark = pytest.mark.django_db

NOV = dt.date(2026, 11, 1)


def pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "a.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["/usr/bin/pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout


@pytest.fixture
def station(jx):
    return StationFactory(bureau=jx, code="JXQC", name_zh="质控井")


@pytest.fixture
def month_of_qc(station, jx_expert):
    channel = ChannelFactory(station=station)
    QcDayFactory(channel=channel, day=dt.date(2026, 11, 2), availability=100.0)
    flagged = QcDayFactory(
        channel=channel, day=dt.date(2026, 11, 5), availability=87.3, flagged=True, gaps=4, status="reviewed"
    )
    QcFlagFactory(qc_day=flagged, kind="spike")
    QcFlagFactory(
        qc_day=flagged,
        kind="spike",
        start=dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC),
        end=dt.datetime(2026, 11, 5, 9, 1, tzinfo=dt.UTC),
    )
    QcFlagFactory(qc_day=flagged, kind="step")
    QcReviewFactory(
        qc_day=flagged,
        reviewed_by=jx_expert,
        comment="抽水试验干扰",
        cause="pumping",
        reviewed_at=dt.datetime(2026, 11, 6, 1, 30, tzinfo=dt.UTC),  # 09:30 Beijing time
    )
    Instrument.objects.create(
        bureau=station.bureau,
        station=station,
        model="SWY-II",
        serial_number="A77",
        installed_on=dt.date(2026, 11, 10),
    )
    return channel


def _generate(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        archive = qc_archive.qc_archive_request(**kwargs)
    archive.refresh_from_db()
    return archive


def test_archive_pdf_holds_the_months_figures(
    django_capture_on_commit_callbacks, station, month_of_qc, jx_admin, as_actor
):
    # when
    archive = _generate(
        django_capture_on_commit_callbacks, actor=as_actor(jx_admin, "JX"), station=station, month=NOV
    )
    # then
    assert archive.status == QcArchive.Status.DONE
    assert archive.generated_at is not None
    data = archive.document.file.read()
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "JXQC" in text
    assert "2026-11" in text
    assert "87" in text  # the flagged day's cell
    assert "抽水试验干扰" in text
    assert "2026-11-06 09:30" in text  # the review in Beijing time
    assert "SWY-II" in text
    # the month's mean counts the 28 days without a check as 0: (100 + 87.3) / 30
    summary = next(line for line in text.splitlines() if line.strip().startswith("水位") and "6.2" in line)
    assert summary.split()[1:] == ["6.2", "2", "28", "1", "4", "1", "1"]
    flags = [line.split() for line in text.splitlines() if line.strip().startswith("水位")][-1]
    assert flags[1:] == ["2", "1", "3"]  # spikes, steps, total


def test_a_second_request_while_queued_is_the_same_job(station, jx_admin, as_actor):
    actor = as_actor(jx_admin, "JX")
    first = qc_archive.qc_archive_request(actor=actor, station=station, month=NOV)
    second = qc_archive.qc_archive_request(actor=actor, station=station, month=dt.date(2026, 11, 15))
    assert second.pk == first.pk
    assert second.status == QcArchive.Status.QUEUED


def test_generating_again_renders_anew_and_is_audited(
    django_capture_on_commit_callbacks, station, month_of_qc, jx_admin, as_actor
):
    actor = as_actor(jx_admin, "JX")
    first = _generate(django_capture_on_commit_callbacks, actor=actor, station=station, month=NOV)
    first_file = first.document.file.name
    again = _generate(django_capture_on_commit_callbacks, actor=actor, station=station, month=NOV)
    assert again.pk == first.pk
    assert again.status == QcArchive.Status.DONE
    assert again.document.file.name != first_file
    actions = list(
        AuditEvent.objects.filter(target_id=str(again.pk), action__startswith="qc_archive.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "qc_archive.start",
        "qc_archive.finish",
        "qc_archive.request",
        "qc_archive.start",
        "qc_archive.finish",
    ]


def test_a_render_error_ends_the_archive_failed_with_the_message(
    django_capture_on_commit_callbacks, station, jx_admin, as_actor, monkeypatch
):
    def broken(template, context, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("printing.rendering.render_pdf", broken)
    archive = _generate(
        django_capture_on_commit_callbacks, actor=as_actor(jx_admin, "JX"), station=station, month=NOV
    )
    assert archive.status == QcArchive.Status.FAILED
    assert "no fonts" in archive.error


@pytest.mark.parametrize(
    ("who", "status"),
    [("jx_viewer", 403), ("jx_reporter", 403), ("jx_expert", 302), ("jx_admin", 302), ("nm_admin", 404)],
)
def test_who_may_generate_from_the_station_page(client, request, station, who, status):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.post(f"/observations/stations/{station.code}/qc-archives/", {"month": "2026-11"})
    assert response.status_code == status
    assert QcArchive.objects.filter(station=station).count() == (1 if status == 302 else 0)


@pytest.mark.parametrize("month", ["", "2026-13", "soon", "2999-01"])
def test_generate_refuses_a_bad_month_with_400(client, jx_admin, station, month):
    client.force_login(jx_admin)
    response = client.post(f"/observations/stations/{station.code}/qc-archives/", {"month": month or "x"})
    assert response.status_code == 400
    assert QcArchive.objects.count() == 0


def test_station_page_lists_archives_and_the_download_is_the_bureaus_only(
    client,
    django_capture_on_commit_callbacks,
    station,
    month_of_qc,
    jx_admin,
    jx_viewer,
    nm_admin,
    cenc,
    make_person,
    as_actor,
):
    archive = _generate(
        django_capture_on_commit_callbacks, actor=as_actor(jx_admin, "JX"), station=station, month=NOV
    )
    url = f"/observations/qc-archives/{archive.pk}/"
    client.force_login(jx_viewer)
    page = client.get(f"/observations/stations/{station.code}/").content.decode()
    assert f'data-archive="{archive.pk}" data-status="done"' in page
    assert f'href="{url}"' in page
    assert 'action="/observations/stations/JXQC/qc-archives/"' not in page  # a viewer generates nothing
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(nm_admin)
    assert client.get(url).status_code == 404
    client.force_login(make_person("cenc_viewer", (cenc, "viewer")))
    assert client.get(url).status_code == 404
    assert 'id="qc-archives"' not in client.get(f"/observations/stations/{station.code}/").content.decode()


def test_beat_job_is_registered_for_the_2nd_at_02_beijing():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("crontab").get(task="observations.qc_archives_monthly")
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week) == (
        "0",
        "2",
        "2",
        "*",
        "*",
    )
    assert str(cron.timezone) == "Asia/Shanghai"
    assert task.enabled is True


def test_monthly_job_archives_every_active_station_and_one_failure_stops_nothing(
    django_capture_on_commit_callbacks, jx, nm, monkeypatch
):
    good = StationFactory(bureau=jx, code="JXG1")
    bad = StationFactory(bureau=jx, code="JXB1")
    other = StationFactory(bureau=nm, code="NMG1")
    closed = StationFactory(bureau=nm, code="NMC1", status="closed")
    from printing import rendering

    real = rendering.render_pdf

    def fails_for_bad(template, context, **kwargs):
        if context["station"].code == "JXB1":
            raise RuntimeError("bad station")
        return real(template, context, **kwargs)

    monkeypatch.setattr(rendering, "render_pdf", fails_for_bad)
    with django_capture_on_commit_callbacks(execute=True):
        asked = qc_archive.qc_archives_monthly(month=NOV)
    assert len(asked) == 3
    states = dict(QcArchive.objects.values_list("station__code", "status"))
    assert states == {"JXG1": "done", "JXB1": "failed", "NMG1": "done"}
    assert not QcArchive.objects.filter(station=closed).exists()
    assert QcArchive.objects.get(station=other).bureau_id == nm.pk
    assert QcArchive.objects.get(station=good).document.file.read().startswith(b"%PDF")
    assert "bad station" in QcArchive.objects.get(station=bad).error


def test_monthly_job_defaults_to_last_month(monkeypatch):
    assert qc_archive.month_before(dt.date(2026, 12, 2)) == NOV
    assert qc_archive.month_before(dt.date(2027, 1, 2)) == dt.date(2026, 12, 1)


def test_monthly_task_runs_through_celery(django_capture_on_commit_callbacks, jx):
    from observations.tasks import qc_archives_monthly_task

    StationFactory(bureau=jx, code="JXT1")
    with django_capture_on_commit_callbacks(execute=True):
        count = qc_archives_monthly_task.delay().get()
    assert count == 1
    archive = QcArchive.objects.get()
    assert archive.status == QcArchive.Status.DONE
    assert archive.month == qc_archive.month_before(today())
