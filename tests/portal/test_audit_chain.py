"""The audit trail is a hash chain the database will not let anyone rewrite unseen: every
record carries the hash of the one before; UPDATE, DELETE and TRUNCATE are refused; someone
who disables the triggers and edits, deletes or re-chains records is found by
``audit_verify`` (by the chain itself, or by the anchors kept outside the database);
concurrent writers make one unbroken chain."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import itertools
import json
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from portal import audit_chain, integrity
from portal import integrity_selectors as chain_selectors
from portal.models import AuditAnchor, AuditEvent, IntegrityCheck
from portal.services import audit_record
from portal.tasks import audit_anchor_task

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _english():
    """The findings checked here are the English ones (the Chinese are in the .po; a command
    run as a process speaks the portal's language, as its last test shows)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _records(bureau, n: int, *, actor=None) -> list[AuditEvent]:
    return [
        audit_record(actor=actor, action="test.step", target=bureau, comment=f"step {i}", extra={"i": i})
        for i in range(1, n + 1)
    ]


def _verify(*args: str) -> tuple[int, str]:
    """``audit_verify``'s exit status and what it said (stdout, or the error)."""
    try:
        call_command("audit_verify", *args, stdout=(out := _Out()))
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.text


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def _as_attacker(sql: str, params: tuple = ()) -> None:
    """What someone with the table owner's rights can do: switch the triggers off, write,
    switch them on again (here in the test's own transaction, rolled back after it)."""
    with connection.cursor() as cursor:
        # the test's rows are not committed: their deferred foreign-key checks run first
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE portal_auditanchor DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")
        cursor.execute("ALTER TABLE portal_auditanchor ENABLE TRIGGER USER")


# --- the chain -------------------------------------------------------------------------------


def test_each_record_carries_the_hash_of_the_one_before(jx, jx_admin):
    events = _records(jx, 4, actor=jx_admin)
    rows = list(chain_selectors.chain_rows())
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == audit_chain.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    for row, event in zip(rows, events, strict=True):
        assert row.hash == audit_chain.record_hash(row) == event.hash
        assert (row.id, row.actor_id, row.bureau_id, row.comment) == (
            event.pk,
            jx_admin.pk,
            jx.pk,
            event.comment,
        )
    # time order and chain order agree: the time is the database's, read under the chain's lock
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)


def test_the_canonical_form_is_the_documented_one():
    row = audit_chain.ChainRow(
        id=7,
        seq=3,
        prev_hash="ab" * 32,
        hash="",
        created_at=dt.datetime(2026, 11, 1, 11, 4, 5, 120, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        actor_id=None,
        bureau_id=2,
        action="anomaly.submit",
        target_type="disciplines.anomaly",
        target_id="41",
        from_state="draft",
        to_state="submitted",
        comment="水位突升",
        extra={"z": 1, "a": [1.5, None]},
    )
    expected = (
        '{"action":"anomaly.submit","actor":null,"at":"2026-11-01T03:04:05.000120Z","bureau":2,'
        '"comment":"\\u6c34\\u4f4d\\u7a81\\u5347","extra":{"a":[1.5,null],"z":1},"from_state":"draft",'
        f'"id":7,"prev":"{"ab" * 32}","seq":3,"target_id":"41","target_type":"disciplines.anomaly",'
        '"to_state":"submitted","v":1}'
    )
    assert audit_chain.canonical(row) == expected.encode("ascii")
    assert audit_chain.record_hash(row) == hashlib.sha256(expected.encode()).hexdigest()


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {
            "actor_id": 3,
            "comment": 'quote " back\\slash \n tab\t \x01 \u2028 𝄞 中文',
            "extra": {"b": [1, 2.5, None], "a": {"z": True}},
        },
        {"target_id": "", "from_state": "", "extra": {"float": 1e-07, "big": 10**20, "neg": -0.0, "s": "é"}},
        {"extra": []},
        {"extra": "text"},
        {"created_at": dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)},
    ],
)
def test_the_fast_canonical_form_is_the_reference_one(fields):
    row = audit_chain.ChainRow(
        id=12,
        seq=11,
        prev_hash="c" * 64,
        hash="",
        created_at=dt.datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
        actor_id=None,
        bureau_id=None,
        action="a.b",
        target_type="portal.bureau",
        target_id="7",
        from_state="x",
        to_state="y",
        comment="",
        extra={"k": 1},
    )._replace(**fields)
    assert audit_chain.canonical(row) == audit_chain.canonical_reference(row)


def test_extra_is_hashed_as_the_database_gives_it_back(jx):
    # jsonb writes 1e20 as 100000000000000000000: the hash is over what a later read returns
    audit_record(
        actor=None, action="test.numbers", target=jx, extra={"big": 1e20, "tiny": 1e-7, "名": "地震"}
    )
    stored = AuditEvent.objects.get(action="test.numbers")
    assert stored.extra["big"] == 10**20
    walked = integrity.chain_verify()
    assert walked.intact
    assert walked.checked == 1


def test_records_written_before_the_chain_are_chained_as_the_migration_does(jx):
    # the migration chains old rows with audit_chain.link, which must agree with append
    _records(jx, 3)
    rows = list(chain_selectors.chain_rows())
    assert [(r.seq, r.prev_hash, r.hash) for r in rows] == list(audit_chain.link(rows))


# --- the database refuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        lambda: AuditEvent.objects.filter(seq=1).update(comment="rewritten"),
        lambda: AuditEvent.objects.filter(seq=1).delete(),
        lambda: AuditEvent.objects.get(seq=1).delete(),
        lambda: AuditEvent.objects.get(seq=1).save(),
        lambda: connection.cursor().execute("UPDATE portal_auditevent SET comment = 'x'"),
        lambda: connection.cursor().execute("DELETE FROM portal_auditevent WHERE seq = 1"),
        lambda: connection.cursor().execute("TRUNCATE portal_auditevent CASCADE"),
        lambda: AuditAnchor.objects.update(hash="0" * 64),
        lambda: connection.cursor().execute("TRUNCATE portal_auditanchor"),
    ],
    ids=[
        "orm-update",
        "orm-bulk-delete",
        "orm-delete",
        "orm-save",
        "sql-update",
        "sql-delete",
        "sql-truncate",
        "anchor-update",
        "anchor-truncate",
    ],
)
def test_the_database_refuses_to_change_or_remove_records(jx, change):
    _records(jx, 2)
    anchors = integrity.anchor_days(now=timezone.now() + dt.timedelta(days=2))
    before = list(AuditEvent.objects.order_by("seq").values_list("seq", "comment", "hash"))
    connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no pending check
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change()
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "comment", "hash")) == before
    assert list(AuditAnchor.objects.order_by("day")) == anchors != []


def test_a_person_with_records_cannot_be_deleted(jx, jx_admin):
    audit_record(actor=jx_admin, action="test.step", target=jx)
    with pytest.raises(ProtectedError):
        jx_admin.delete()


def test_audit_record_is_the_one_way_in():
    """No code but portal.audit_chain creates, updates or deletes audit rows."""
    writes = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "delete", "bulk_update"}
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")) or "/migrations/" in relative:
            continue
        if relative == "portal/audit_chain.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            text = ast.unparse(node.func)
            if text in {"AuditEvent", "AuditAnchor"} or (
                text.startswith(("AuditEvent.objects", "AuditAnchor.objects"))
                and text.split(".")[-1] in writes
            ):
                found.append(f"{relative}:{node.lineno}: {text}")
    # anchors are written by portal.integrity.anchor_day only
    assert found == [f"portal/integrity.py:{_anchor_line()}: AuditAnchor.objects.get_or_create"]


def _anchor_line() -> int:
    source = (ROOT / "portal/integrity.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(source, 1) if "AuditAnchor.objects.get_or_create" in line)


# --- tampering is found ------------------------------------------------------------------------


def test_an_edited_record_is_named_by_audit_verify(jx):
    events = _records(jx, 5)
    assert _verify()[0] == 0
    _as_attacker("UPDATE portal_auditevent SET comment = 'nothing happened' WHERE seq = 3")
    status, said = _verify()
    assert status == 1
    assert f"Record 3 (id {events[2].pk}, test.step portal.bureau#{jx.pk}) was changed" in said


def test_an_edited_and_rehashed_record_breaks_the_link_to_the_next(jx):
    events = _records(jx, 4)
    row = next(r for r in chain_selectors.chain_rows() if r.seq == 2)
    forged = audit_chain.record_hash(row._replace(comment="forged"))
    _as_attacker("UPDATE portal_auditevent SET comment = 'forged', hash = %s WHERE seq = 2", (forged,))
    status, said = _verify()
    assert status == 1
    assert f"Record 3 (id {events[2].pk}) does not follow record 2" in said


def test_a_deleted_record_is_found_as_a_gap(jx):
    events = _records(jx, 5)
    _as_attacker("DELETE FROM portal_auditevent WHERE seq = 2")
    status, said = _verify()
    assert status == 1
    assert (
        f"Record 2 is missing (deleted): the chain goes from record 1 to record 3 (id {events[2].pk})" in said
    )


def test_an_inserted_record_is_found(jx):
    _records(jx, 3)
    _as_attacker(
        "INSERT INTO portal_auditevent (created_at, action, target_type, target_id, from_state, to_state,"
        " comment, extra, seq, prev_hash, hash) VALUES (now(), 'test.forged', 'portal.bureau', '1', '', '',"
        " '', '{}', 4, %s, %s)",
        ("f" * 64, "e" * 64),
    )
    status, said = _verify()
    assert status == 1
    assert "Record 4" in said


def test_a_rewritten_history_is_found_by_the_exported_anchors(jx, tmp_path):
    _records(jx, 4)
    later = timezone.now() + dt.timedelta(days=2)
    exported = tmp_path / "anchors.json"
    exported.write_text(integrity.anchors_export(now=later), encoding="utf-8")
    document = json.loads(exported.read_text())
    assert document["format"] == audit_chain.ANCHORS_FORMAT
    assert document["anchors"][0]["hash"] == AuditEvent.objects.get(seq=4).hash
    # the attacker edits record 2 and re-chains every record after it, and the anchors in the database
    rows = list(chain_selectors.chain_rows())
    rows[1] = rows[1]._replace(comment="rewritten")
    for row, (seq, prev_hash, digest) in zip(rows, audit_chain.link(rows), strict=True):
        _as_attacker(
            "UPDATE portal_auditevent SET comment = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            (row.comment, prev_hash, digest, seq),
        )
    _as_attacker("UPDATE portal_auditanchor SET hash = %s", (digest,))
    assert _verify()[0] == 0  # the database alone cannot tell any more
    status, said = _verify("--anchors", str(exported))
    assert status == 1
    assert f"does not carry the hash of the anchor of {document['anchors'][0]['day']} ({exported})" in said


def test_records_deleted_from_the_end_are_found_by_the_anchors(jx, tmp_path):
    _records(jx, 3)
    exported = tmp_path / "anchors.json"
    exported.write_text(integrity.anchors_export(), encoding="utf-8")  # the head at export: record 3
    _as_attacker("DELETE FROM portal_auditevent WHERE seq = 3")
    # the check's own record takes seq 3 again: not the record the file saw there
    status, said = _verify("--anchors", str(exported))
    assert status == 1
    assert (
        f"Record 3 (id {AuditEvent.objects.get(seq=3).pk}) does not carry the hash of the chain's head when {exported} was exported"
        in said
    )


def test_an_anchor_past_the_end_means_records_were_deleted_from_the_end(jx):
    _records(jx, 3)
    head = chain_selectors.chain_head()
    _as_attacker("DELETE FROM portal_auditevent WHERE seq = 3")
    walked = integrity.chain_verify(
        anchors=[audit_chain.Anchor(day=None, seq=head.seq, hash=head.hash, source="f.json")]
    )
    assert walked.first_break is not None
    assert walked.first_break.message == (
        "The chain ends at record 2, but the chain's head when f.json was exported names record 3: "
        "records were deleted from the end."
    )


def test_an_unreadable_anchors_file_is_exit_status_2(tmp_path):
    bad = tmp_path / "anchors.json"
    bad.write_text('{"format": "something else"}')
    assert _verify("--anchors", str(bad))[0] == 2
    assert _verify("--anchors", str(tmp_path / "missing.json"))[0] == 2


@pytest.mark.django_db(transaction=True)
def test_an_attacker_in_another_session_is_found_and_manage_py_exits_non_zero(jx):
    """The whole way: committed records, a separate PostgreSQL session with the owner's rights
    edits one with the triggers off, and ``manage.py audit_verify`` (a process) exits 1."""
    from tests.conftest import _child_env

    events = _records(jx, 3)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        autocommit=True,
    ) as attacker:
        with pytest.raises(psycopg.errors.RestrictViolation):
            attacker.execute("UPDATE portal_auditevent SET comment = 'x' WHERE seq = 2")
        attacker.execute("ALTER TABLE portal_auditevent DISABLE TRIGGER USER")
        try:
            attacker.execute("UPDATE portal_auditevent SET comment = 'x' WHERE seq = 2")
        finally:
            attacker.execute("ALTER TABLE portal_auditevent ENABLE TRIGGER USER")
    done = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=ROOT,
        env=_child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"第 2 条记录（id {events[1].pk}，test.step portal.bureau#{jx.pk}）在写入后被改动" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_make_one_unbroken_chain(jx):
    writers, each = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with transaction.atomic():
                    audit_record(actor=None, action="test.concurrent", target=jx, extra={"writer": n, "i": i})
                    # work after the append keeps the lock: the others must wait, not fork
                    AuditEvent.objects.filter(action="test.concurrent").exists()
        except Exception as exc:  # noqa: BLE001 - reported by the main thread's assertion
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    walked = integrity.chain_verify()
    assert walked.intact
    assert walked.checked == writers * each == AuditEvent.objects.count()
    written = AuditEvent.objects.filter(action="test.concurrent").values_list("extra", flat=True)
    assert sorted((e["writer"], e["i"]) for e in written) == [
        (n, i) for n in range(writers) for i in range(each)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_bureau_locked_for_update_does_not_deadlock_with_the_chain(jx):
    """One transaction appends a record of JX and holds the chain; another locks JX FOR UPDATE
    and then appends. The first takes its key-share lock on JX before the chain's, so the
    second waits for it instead of both waiting on each other at commit."""
    from portal.models import Bureau

    audited, locked = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.first", target=jx)
                audited.set()
                locked.wait(timeout=2)  # the second cannot lock JX while we hold it
        except Exception as exc:  # noqa: BLE001 - reported by the main thread's assertion
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            audited.wait(timeout=10)
            with transaction.atomic():
                Bureau.objects.select_for_update().get(pk=jx.pk)
                locked.set()
                audit_record(actor=None, action="test.second", target=jx)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.first",
        "test.second",
    ]
    assert integrity.chain_verify().intact


# --- anchors -----------------------------------------------------------------------------------


def test_each_complete_day_is_anchored_once_with_its_last_record(jx):
    _records(jx, 2)
    today = timezone.now().astimezone(integrity.BEIJING).date()
    assert integrity.anchor_days() == []  # today is not over
    assert integrity.anchor_day(day=today) is None
    later = integrity.day_end(today) + integrity.ANCHOR_MARGIN + dt.timedelta(days=1, minutes=1)
    made = integrity.anchor_days(now=later)
    assert [(a.day, a.seq) for a in made] == [(today, 2), (today + dt.timedelta(days=1), 2)]
    assert made[0].hash == AuditEvent.objects.get(seq=2).hash
    assert integrity.anchor_days(now=later) == []  # idempotent
    assert integrity.anchor_day(day=today, now=later) == made[0]


def test_the_anchor_job_is_hourly_and_anchors_nothing_twice(jx):
    from portal.celery import app

    assert app.conf.beat_schedule["portal.audit_anchor"] == {
        "task": "portal.audit_anchor",
        "schedule": 3600.0,
    }
    _records(jx, 1)
    assert audit_anchor_task.apply().get() == []


def test_audit_anchors_command_writes_the_file(jx, tmp_path):
    _records(jx, 2)
    out = tmp_path / "a.json"
    call_command("audit_anchors", "--output", str(out), stderr=_Out())
    document = json.loads(out.read_text())
    assert document["head"] == {"seq": 2, "hash": AuditEvent.objects.get(seq=2).hash}
    with pytest.raises(CommandError, match="not a date"):
        call_command("audit_anchors", "--since", "yesterday")


# --- the system admin's page -------------------------------------------------------------------


def test_the_page_is_the_system_admins(client, jx_admin, jx_forecaster):
    for person in (jx_admin, jx_forecaster):
        client.force_login(person)
        assert client.get("/manage/integrity/").status_code == 403
        assert client.get("/manage/integrity/anchors.json").status_code == 403
        assert client.post("/manage/integrity/verify/", {"kind": "audit_chain"}).status_code == 403
    assert not IntegrityCheck.objects.exists()


def test_verify_now_runs_in_the_background_and_the_page_shows_how_it_ended(
    client, sysadmin, jx, django_capture_on_commit_callbacks
):
    _records(jx, 3)
    client.force_login(sysadmin)
    page = client.get("/manage/integrity/").content.decode()
    assert 'data-seq="3"' in page
    assert AuditEvent.objects.get(seq=3).hash in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/integrity/verify/", {"kind": "audit_chain"})
    check = IntegrityCheck.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith(f"/manage/integrity/?check={check.pk}")
    assert (check.status, check.intact, check.requested_by) == ("done", True, sysadmin)
    assert check.checked >= 3
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page
    assert 'data-intact="true"' in page
    assert 'http-equiv="refresh"' not in page
    # the request and the check's moves are in the chain too
    assert list(
        AuditEvent.objects.filter(target_type="portal.integritycheck")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["integrity_check.request", "integrity_check.start", "integrity_check.finish"]


def test_a_broken_chain_shows_on_the_page_and_reaches_every_system_admin(
    client, sysadmin, make_person, jx, django_capture_on_commit_callbacks
):
    other = make_person("root2", superuser=True)
    events = _records(jx, 3)
    _as_attacker("UPDATE portal_auditevent SET comment = 'x' WHERE seq = 2")
    client.force_login(sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/manage/integrity/verify/", {"kind": "audit_chain"})
    check = IntegrityCheck.objects.get()
    assert (check.status, check.intact, check.problem_count) == ("done", False, 1)
    assert check.problems[0]["seq"] == 2
    assert check.problems[0]["id"] == events[1].pk
    page = client.get(f"/manage/integrity/?check={check.pk}").content.decode()
    assert 'data-intact="false"' in page
    assert 'data-seq="2"' in page
    for person in (sysadmin, other):
        assert person.notifications.filter(level="urgent").count() == 1


def test_a_queued_check_reloads_the_page_and_a_second_request_gets_it(client, sysadmin):
    client.force_login(sysadmin)
    client.post("/manage/integrity/verify/", {"kind": "audit_chain"})  # not committed: stays queued
    client.post("/manage/integrity/verify/", {"kind": "audit_chain"})
    assert IntegrityCheck.objects.count() == 1
    page = client.get("/manage/integrity/").content.decode()
    assert 'data-status="queued"' in page
    assert 'http-equiv="refresh"' in page


def test_an_unknown_check_is_a_400(client, sysadmin):
    client.force_login(sysadmin)
    assert client.post("/manage/integrity/verify/", {"kind": "nothing"}).status_code == 400


def test_the_anchors_file_downloads(client, sysadmin, jx):
    _records(jx, 1)
    client.force_login(sysadmin)
    response = client.get("/manage/integrity/anchors.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ispec-audit-anchors-')
    document = json.loads(response.content)
    assert document["head"]["seq"] == 1


def test_the_watchdog_fails_an_abandoned_check(sysadmin, as_actor):
    check = integrity.integrity_check_request(actor=as_actor(sysadmin), kind="audit_chain")
    IntegrityCheck.objects.filter(pk=check.pk).update(created_at=timezone.now() - dt.timedelta(hours=5))
    assert integrity.integrity_checks_fail_abandoned(timezone.now()) == [check.pk]
    check.refresh_from_db()
    assert check.status == "failed"
    assert check.error
