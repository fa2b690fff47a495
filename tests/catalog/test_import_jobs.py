"""Catalog imports always end: unreadable files fail naming the line, a dead worker's import is
failed by the watchdog, and the uploader is told either way."""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone, translation

from catalog.models import Event, EventImport
from catalog.services import import_batches, import_writer
from catalog.services import imports as event_import_services
from portal.jobs import watchdog
from portal.models import Notification

pytestmark = pytest.mark.django_db

HEADER = "time,latitude,longitude,depth,mag,magType,place\n"
GOOD_ROW = "2024-03-01T00:00:00,28.0,115.0,10,3.1,ML,a\n"
HUGE_FIELD = (
    HEADER + GOOD_ROW + "2024-03-02T00:00:00,28.5,115.5,10,3.2,ML," + "x" * 200 * 1024 + "\n"
).encode()
NUL_BYTE = (HEADER + GOOD_ROW + "2024-03-02T00:00:00,28.5,115.5,10,3.2,ML,b\x00c\n").encode()


def _upload(client, content: bytes):
    upload = SimpleUploadedFile("events.csv", content, content_type="text/csv")
    # English: the eager task stores its messages in the language of the request
    return client.post(
        "/api/v1/events/imports/", {"file": upload}, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (HUGE_FIELD, "line 3: a field is longer than 131072 characters"),
        (NUL_BYTE, "line 3: the file contains a NUL byte"),
    ],
    ids=["field-over-128KiB", "nul-byte"],
)
def test_unreadable_csv_fails_naming_the_line_stores_nothing_and_tells_the_uploader(
    api, jx_forecaster, django_capture_on_commit_callbacks, content, expected
):
    # given
    client = api(jx_forecaster)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, content)
    # then
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["status"] == "failed"
    assert status["error"].startswith(expected), status["error"]
    assert Event.objects.count() == 0
    note = Notification.objects.get(recipient=jx_forecaster, kind="catalog.import")
    assert note.title == "Catalog import failed: events.csv"
    assert note.body.startswith(expected)


def test_an_unforeseen_error_in_the_import_fails_it_and_tells_the_uploader(
    api, jx_forecaster, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    # given: the catalog writer breaks in a way nobody handled
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(import_batches.Batch, "flush", broken)
    client = api(jx_forecaster)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, (HEADER + GOOD_ROW).encode())
    # then: failed with a human message; the traceback is in the log
    status = client.get(response.json()["status_url"]).json()
    assert (status["status"], status["error"]) == (
        "failed",
        "Internal error (KeyError); the administrators can find the details in the log.",
    )
    assert "catalog import" in caplog.text
    assert "KeyError" in caplog.text
    assert Notification.objects.filter(recipient=jx_forecaster, kind="catalog.import").count() == 1


def test_an_error_outside_the_service_is_caught_by_the_task_guard(
    api, jx_forecaster, django_capture_on_commit_callbacks, monkeypatch
):
    # given: the service itself raises before it could record anything
    def broken(**kwargs):
        raise RuntimeError("worker bug")

    monkeypatch.setattr("catalog.tasks.event_import_run", broken)
    client = api(jx_forecaster)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, (HEADER + GOOD_ROW).encode())
    # then
    record = EventImport.objects.get(pk=response.json()["id"])
    assert record.status == EventImport.Status.FAILED
    assert record.error.startswith("Internal error (RuntimeError)")


def test_a_successful_import_tells_the_uploader_the_counts(
    api, jx_forecaster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _upload(api(jx_forecaster), (HEADER + GOOD_ROW).encode())
    note = Notification.objects.get(recipient=jx_forecaster, kind="catalog.import")
    assert (note.title, note.body) == (
        "Catalog import finished: events.csv",
        "1 new, 0 updated, 0 rejected rows.",
    )


def _running_import(jx, user, *, started_ago: timedelta, heartbeat_ago: timedelta | None) -> EventImport:
    record = EventImport.objects.create(
        bureau=jx,
        filename="big.csv",
        format="csv",
        created_by=user,
        status=EventImport.Status.RUNNING,
        started_at=timezone.now() - started_ago,
    )
    if heartbeat_ago is not None:
        cache.set(
            event_import_services.import_progress_key(record.pk),
            {"rows_read": 4000, "heartbeat": time.time() - heartbeat_ago.total_seconds()},
        )
    return record


def test_watchdog_fails_an_import_whose_worker_died_and_tells_the_uploader(jx, jx_forecaster):
    # given: running for an hour, last heartbeat 11 minutes ago
    record = _running_import(
        jx, jx_forecaster, started_ago=timedelta(hours=1), heartbeat_ago=timedelta(minutes=11)
    )
    # when (the watchdog writes in the active language; English here, to read the words)
    with translation.override("en"):
        touched = watchdog()
    # then
    record.refresh_from_db()
    assert touched["catalog.event_import"] == [record.pk]
    assert record.status == EventImport.Status.FAILED
    assert record.error == (
        "The import stopped: its worker ended without finishing the file (after 4000 rows). "
        "Upload the file again."
    )
    note = Notification.objects.get(recipient=jx_forecaster, kind="catalog.import")
    assert note.title == "Catalog import failed: big.csv"


def test_watchdog_leaves_an_import_with_a_fresh_heartbeat_alone(jx, jx_forecaster):
    record = _running_import(
        jx, jx_forecaster, started_ago=timedelta(hours=1), heartbeat_ago=timedelta(minutes=1)
    )
    assert "catalog.event_import" not in watchdog()
    record.refresh_from_db()
    assert record.status == EventImport.Status.RUNNING
    assert not Notification.objects.exists()


def test_watchdog_fails_a_running_import_without_heartbeat(jx, jx_forecaster):
    record = _running_import(jx, jx_forecaster, started_ago=timedelta(minutes=30), heartbeat_ago=None)
    watchdog()
    record.refresh_from_db()
    assert record.status == EventImport.Status.FAILED


def test_watchdog_fails_an_import_no_worker_took(jx, jx_forecaster):
    record = EventImport.objects.create(
        bureau=jx, filename="lost.csv", format="csv", created_by=jx_forecaster
    )
    EventImport.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(hours=4))
    with translation.override("en"):
        watchdog()
    record.refresh_from_db()
    assert (record.status, record.error) == (
        EventImport.Status.FAILED,
        "No worker took the import within 3 hours. Upload the file again.",
    )
    assert Notification.objects.filter(recipient=jx_forecaster, kind="catalog.import").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_import_the_watchdog_gave_up_on_stores_nothing_when_its_worker_finishes_late(
    jx, jx_forecaster, monkeypatch
):
    # given: the worker was only slow; the watchdog (its own connection) failed the import meanwhile
    record = EventImport.objects.create(
        bureau=jx, filename="slow.csv", format="csv", created_by=jx_forecaster
    )
    record.file.save("slow.csv", SimpleUploadedFile("slow.csv", (HEADER + GOOD_ROW).encode()))
    real_import_file = import_writer.import_file

    def watchdog_elsewhere() -> None:
        try:
            event_import_services.event_import_fail(import_id=record.pk, message="gave up")
        finally:
            connection.close()

    def slow_import_file(**kwargs):
        summary = real_import_file(**kwargs)
        other = threading.Thread(target=watchdog_elsewhere)
        other.start()
        other.join()
        return summary

    monkeypatch.setattr(event_import_services, "import_file", slow_import_file)
    # when
    event_import_services.event_import_run(import_id=record.pk)
    # then: it stays failed as the person was told, and its rows were rolled back
    record.refresh_from_db()
    assert (record.status, record.error) == (EventImport.Status.FAILED, "gave up")
    assert Event.objects.count() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_bad_file_fails_in_the_real_worker(api, real_celery, jx_forecaster):
    """The real worker ends the import of a file with a 200 KiB field failed, naming the line."""
    client = api(jx_forecaster)
    created = _upload(client, HUGE_FIELD)
    assert created.status_code == 202
    deadline = time.monotonic() + 60
    status = created.json()
    while status["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
        status = client.get(created.json()["status_url"]).json()
    assert status["status"] == "failed"
    # the worker stores messages in the portal's language (Chinese): "第 3 行：a field is ..."
    assert status["error"].startswith("第 3 行：a field is longer than 131072 characters"), status["error"]
    assert Event.objects.count() == 0
    assert Notification.objects.filter(recipient=jx_forecaster, kind="catalog.import").count() == 1


def test_a_long_run_of_rejected_rows_still_beats_the_heartbeat(jx, jx_forecaster):
    """Progress (the watchdog's heartbeat) is reported every batch of rows read, valid or not."""
    beats = []
    rows = (HEADER + "2024-03-01T00:00:00,28.0,115.0,10,x,ML,a\n" * 10).encode()
    import_writer.import_file(
        bureau=jx,
        fileobj=io.BytesIO(rows),
        file_format="csv",
        size=len(rows),
        batch_size=3,
        progress=lambda summary: beats.append(summary.rows_read),
    )
    assert beats == [3, 6, 9, 10]
