"""Evidence of data (监测存证): each imported file and each stored channel-day gets a content
hash recorded in the audit chain at ingest; ``series_verify`` finds stored observations that
no longer match what was received (a changed sample, a deleted day, evidence bent to fit)."""

from __future__ import annotations

import datetime as dt
import hashlib
import struct

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from observations.evidence import day_canonical, day_digest, file_digest
from observations.models import SeriesDay, SeriesDayEvidence, SeriesImport
from observations.services.series_import import series_import_create, series_import_file, series_import_run
from observations.services.series_store import series_write
from observations.services.series_verify import series_verify
from portal.models import AuditEvent, IntegrityCheck
from tests.observations.factories import ChannelFactory, StationFactory, geomagnetic_item
from tests.observations.test_series_imports import iaga

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 4, 11, 23, 0, tzinfo=dt.UTC)  # an hour before midnight: two days per file


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def observatory(jx):
    station = StationFactory(bureau=jx, code="JXG", kind="geomagnetic")
    return (
        station,
        ChannelFactory(station=station, item=geomagnetic_item("H")),
        ChannelFactory(station=station, item=geomagnetic_item("Z")),
    )


def _file(minutes: int = 120, h: float = 38000.0) -> bytes:
    rows = [(T0 + dt.timedelta(minutes=i), [h + i / 100, 45000.0 - i / 100]) for i in range(minutes)]
    return iaga(rows)


def _verify(*args: str) -> tuple[int, str]:
    lines: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            lines.append(text)

        def flush(self) -> None:
            pass

    try:
        call_command("series_verify", *args, stdout=Out())
    except CommandError as exc:
        return exc.returncode, "".join(lines) + str(exc)
    return 0, "".join(lines)


def _as_attacker(sql: str, params: tuple = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- the canonical form ------------------------------------------------------------------------


def test_a_days_hash_is_over_the_documented_canonical_form():
    values = np.array([1.5, np.nan, -2.25], dtype=np.float32)
    expected = (
        b"ispec-series-day/1 channel=7 day=2025-04-11 interval=60 n=3\n"
        + struct.pack("<f", 1.5)
        + struct.pack("<I", 0x7FC00000)
        + struct.pack("<f", -2.25)
    )
    day = dt.date(2025, 4, 11)
    assert day_canonical(channel_id=7, day=day, interval=60, values=values) == expected
    assert (
        day_digest(channel_id=7, day=day, interval=60, values=values) == hashlib.sha256(expected).hexdigest()
    )
    # every gap is the one NaN, whatever NaN the reader produced
    other_nan = values.copy()
    other_nan.view("<u4")[1] = 0xFFC00001
    assert (
        day_digest(channel_id=7, day=day, interval=60, values=other_nan)
        == hashlib.sha256(expected).hexdigest()
    )
    # the same samples on another day or channel are not the same evidence
    assert (
        day_digest(channel_id=8, day=day, interval=60, values=values) != hashlib.sha256(expected).hexdigest()
    )
    assert day_digest(channel_id=7, day=day + dt.timedelta(days=1), interval=60, values=values) != (
        hashlib.sha256(expected).hexdigest()
    )


# --- at ingest -------------------------------------------------------------------------------


def test_an_import_records_the_file_and_every_channel_day_in_the_chain(jx, observatory):
    _station, h, z = observatory
    data = _file()
    series_import_file(bureau=jx, data=data, file_format="iaga2002", actor=None, source="daily file")
    stored = AuditEvent.objects.get(action="series_file.stored")
    assert stored.extra["file_sha256"] == file_digest(data) == hashlib.sha256(data).hexdigest()
    assert (stored.extra["bytes"], sorted(stored.extra["channels"])) == (len(data), sorted([h.pk, z.pk]))
    for channel in (h, z):
        note = AuditEvent.objects.get(action="channel.series_written", target_id=str(channel.pk))
        assert note.seq > stored.seq  # the file first, then each channel's days
        assert note.extra["file_sha256"] == stored.extra["file_sha256"]
        assert set(note.extra["days"]) == {"2025-04-11", "2025-04-12"}
        for day in SeriesDay.objects.filter(channel=channel):
            evidence = SeriesDayEvidence.objects.get(channel=channel, day=day.day)
            assert evidence.recorded_in == note
            assert note.extra["days"][day.day.isoformat()] == evidence.sha256
            values = np.array([np.nan if v is None else v for v in day.values], dtype=np.float32)
            assert evidence.sha256 == day_digest(
                channel_id=channel.pk, day=day.day, interval=60, values=values
            )
            assert evidence.samples == day.n_present
    # every channel-day, with its hash, is written after every sample: the chain's lock comes last
    assert AuditEvent.objects.filter(action="channel.series_written").count() == 2
    assert SeriesDayEvidence.objects.count() == 4
    checked = series_verify()
    assert (checked.intact, checked.checked, checked.unevidenced) == (True, 4, 0)


def test_a_rewrite_replaces_the_evidence_and_an_emptied_day_loses_it(jx, observatory):
    _station, h, _z = observatory
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    series_import_file(bureau=jx, data=_file(h=39000.0), file_format="iaga2002", actor=None)
    assert series_verify().intact
    # the first hour (the 11th) written empty: no samples, no evidence, still intact
    series_write(channel=h, start=T0, values=np.full(60, np.nan, dtype=np.float32), actor=None)
    assert not SeriesDay.objects.filter(channel=h, day=T0.date()).exists()
    assert not SeriesDayEvidence.objects.filter(channel=h, day=T0.date()).exists()
    assert AuditEvent.objects.filter(action="channel.series_written").latest("seq").extra["days"] == {
        "2025-04-11": None
    }
    assert series_verify().intact


def test_the_upload_is_hashed_when_received_and_a_file_changed_in_storage_is_not_imported(
    jx, jx_admin, as_actor, observatory
):
    data = _file()
    record = series_import_create(
        actor=as_actor(jx_admin, "JX"), upload=SimpleUploadedFile("jxg.min", data), file_format="iaga2002"
    )
    assert record.sha256 == file_digest(data)
    assert AuditEvent.objects.get(action="series_import.create").extra["file_sha256"] == record.sha256
    record.file.save("changed.min", ContentFile(data.replace(b"38000.00", b"38100.00")), save=True)
    ended = series_import_run(import_id=record.pk)
    assert ended.status == SeriesImport.Status.FAILED
    assert "not the one uploaded" in ended.error
    assert not SeriesDay.objects.exists()


def test_an_uploaded_import_records_its_file_on_the_import(jx, jx_admin, as_actor, observatory):
    data = _file()
    record = series_import_create(
        actor=as_actor(jx_admin, "JX"), upload=SimpleUploadedFile("jxg.min", data), file_format="iaga2002"
    )
    assert series_import_run(import_id=record.pk).status == SeriesImport.Status.DONE
    stored = AuditEvent.objects.get(action="series_file.stored")
    assert (stored.target_type, stored.target_id, stored.actor) == (
        "observations.seriesimport",
        str(record.pk),
        jx_admin,
    )
    assert stored.extra["file_sha256"] == record.sha256


# --- series_verify -----------------------------------------------------------------------------


def test_a_changed_stored_sample_is_found(jx, observatory):
    _station, h, _z = observatory
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    assert _verify()[0] == 0
    # someone with the database's rights corrects one sample of the 12th
    _as_attacker(
        "UPDATE observations_seriesday SET values[11] = values[11] + 0.5 WHERE channel_id = %s AND day = %s",
        (h.pk, dt.date(2025, 4, 12)),
    )
    status, said = _verify()
    assert status == 1
    assert f"changed\tchannel {h.pk}\tJXG GM_H 2025-04-12\tThe stored samples are not those received" in said
    assert "1 stored channel-days do not match" in said
    check = IntegrityCheck.objects.filter(kind="series").latest("created_at")
    assert (check.intact, check.problem_count, check.problems[0]["channel"]) == (False, 1, h.pk)
    assert check.problems[0]["url"] == f"/observations/channels/{h.pk}/"


def test_a_deleted_day_is_found(jx, observatory):
    _station, _h, z = observatory
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    SeriesDay.objects.filter(channel=z, day=dt.date(2025, 4, 11)).delete()
    status, said = _verify()
    assert status == 1
    assert f"deleted\tchannel {z.pk}\tJXG GM_Z 2025-04-11" in said


def test_evidence_bent_to_fit_changed_samples_is_found_against_the_chain(jx, observatory):
    _station, h, _z = observatory
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    day = dt.date(2025, 4, 12)
    _as_attacker(
        "UPDATE observations_seriesday SET values[11] = 0 WHERE channel_id = %s AND day = %s", (h.pk, day)
    )
    stored = SeriesDay.objects.get(channel=h, day=day)
    values = np.array([np.nan if v is None else v for v in stored.values], dtype=np.float32)
    SeriesDayEvidence.objects.filter(channel=h, day=day).update(
        sha256=day_digest(channel_id=h.pk, day=day, interval=60, values=values)
    )
    found = series_verify()
    assert [(p["kind"], p["channel"], p["day"]) for p in found.problems] == [("evidence", h.pk, "2025-04-12")]


def test_days_stored_without_evidence_are_counted_not_listed(jx, observatory):
    _station, h, _z = observatory
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    SeriesDayEvidence.objects.filter(channel=h).delete()  # as before evidence was kept
    found = series_verify()
    assert (found.intact, found.checked, found.unevidenced) == (True, 2, 2)


def test_verify_one_bureau_and_an_unknown_bureau(jx, nm, observatory):
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    assert series_verify(bureau_id=nm.pk).checked == 0
    status, said = _verify("--bureau", "JX")
    assert status == 0
    assert "4 channel-days checked" in said
    assert _verify("--bureau", "XX")[0] == 2


def test_the_integrity_page_checks_the_series_in_the_background(
    client, sysadmin, jx, observatory, django_capture_on_commit_callbacks
):
    _station, h, _z = observatory
    series_import_file(bureau=jx, data=_file(), file_format="iaga2002", actor=None)
    _as_attacker("UPDATE observations_seriesday SET values[1] = -1 WHERE channel_id = %s", (h.pk,))
    client.force_login(sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/integrity/verify/", {"kind": "series"})
    check = IntegrityCheck.objects.get(kind="series")
    assert (check.status, check.intact, check.problem_count) == ("done", False, 2)
    page = client.get(response["Location"]).content.decode()
    series = page.split('id="check-series"')[1]
    assert f'href="/observations/channels/{h.pk}/"' in series
    assert "无存证的已存数据" in series  # the count of days stored without evidence
    assert "已核验至" not in page  # the chain's own figures belong to the chain's checks
