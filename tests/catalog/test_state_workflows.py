"""The catalog's two state machines run on the workflow engine: the quick-report correction (a
person's move: the right before the state) and the file import (the worker's moves, the
uploader told). A refused move changes nothing; every move is audited with from and to."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import translation

from catalog.models import EventImport, QuickReportMessage
from catalog.services import imports as event_import_services
from catalog.services import quick_reports as quick_report_services
from portal import workflow
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db

JX_FORMAL = (
    "【江西省地震局】江西省地震台网测定:2017年12月21日09时10分在江西宜春市上高县"
    "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
)
RECEIVED = datetime.fromisoformat("2017-12-21T09:15:00+08:00")


@pytest.fixture
def failed_message(jx):
    return QuickReportMessage.objects.create(
        bureau=jx, text="garbled", received_at=RECEIVED, fingerprint="f" * 64, status="failed", error="?"
    )


def _unchanged(row):
    row.refresh_from_db()
    return (row.status, row.updated_at, AuditEvent.objects.count(), Notification.objects.count())


def test_both_tables_are_registered_with_words():
    assert workflow.workflow_for(QuickReportMessage()) is quick_report_services.QUICK_REPORT_WORKFLOW
    assert workflow.workflow_for(EventImport()) is event_import_services.IMPORT_WORKFLOW
    with translation.override("zh-hans"):
        assert workflow.label("quick_report.correct") == "更正"
        assert workflow.label("event_import.fail") == "导入失败"
        # a quick report that did not parse, in context; any other job's failure is 失败
        assert str(QuickReportMessage.Status.FAILED.label) == "识别失败"
        assert str(EventImport.Status.FAILED.label) == "失败"


def test_correction_moves_the_message_with_an_audit_row(failed_message, as_actor, jx_forecaster):
    result = quick_report_services.quick_report_correct(
        actor=as_actor(jx_forecaster), message=failed_message, text=JX_FORMAL
    )
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.event, failed_message.corrected_by) == (
        "corrected",
        result.event,
        jx_forecaster,
    )
    audit = AuditEvent.objects.get(action="quick_report.correct")
    assert (audit.actor, audit.from_state, audit.to_state) == (jx_forecaster, "failed", "corrected")


@pytest.mark.parametrize("allowed", [False, True], ids=["viewer", "forecaster"])
def test_correction_checks_the_right_before_the_state(jx, as_actor, jx_viewer, jx_forecaster, allowed):
    message = QuickReportMessage.objects.create(
        bureau=jx, text=JX_FORMAL, received_at=RECEIVED, fingerprint="p" * 64, status="parsed"
    )
    before = _unchanged(message)
    person = jx_forecaster if allowed else jx_viewer
    with (
        translation.override("en"),
        pytest.raises(InvalidTransition if allowed else PermissionDenied) as refused,
    ):
        quick_report_services.quick_report_correct(actor=as_actor(person), message=message, text=JX_FORMAL)
    assert type(refused.value) is (InvalidTransition if allowed else PermissionDenied)
    if allowed:
        assert refused.value.message == (
            "This quick-report message is parsed; it cannot be message corrected (only from: failed)."
        )
    assert _unchanged(message) == before


def test_a_correction_that_does_not_parse_is_no_move(failed_message, as_actor, jx_forecaster):
    with pytest.raises(quick_report_services.QuickReportRejected):
        quick_report_services.quick_report_correct(
            actor=as_actor(jx_forecaster), message=failed_message, text="still garbled"
        )
    failed_message.refresh_from_db()
    assert (failed_message.status, failed_message.corrected_text) == ("failed", "still garbled")
    assert not AuditEvent.objects.filter(action="quick_report.correct").exists()


def test_failing_a_queued_import_is_audited_and_tells_the_uploader(jx, jx_forecaster):
    record = EventImport.objects.create(
        bureau=jx, file="catalog/imports/x.csv", filename="x.csv", format="csv", created_by=jx_forecaster
    )
    ended = event_import_services.event_import_fail(import_id=record.pk, message="No worker took it.")
    assert (ended.status, ended.error) == ("failed", "No worker took it.")
    audit = AuditEvent.objects.get(action="event_import.fail")
    assert (audit.actor, audit.from_state, audit.to_state, audit.comment) == (
        None,
        "queued",
        "failed",
        "No worker took it.",
    )
    note = Notification.objects.get(kind="catalog.import")
    assert note.recipient == jx_forecaster


def test_failing_a_finished_import_changes_nothing(jx, jx_forecaster):
    record = EventImport.objects.create(
        bureau=jx, file="catalog/imports/x.csv", filename="x.csv", format="csv", status="done"
    )
    before = _unchanged(record)
    assert event_import_services.event_import_fail(import_id=record.pk, message="late").status == "done"
    assert _unchanged(record) == before


def test_a_person_cannot_make_the_imports_moves(jx, as_actor, jx_forecaster):
    record = EventImport.objects.create(
        bureau=jx, file="catalog/imports/x.csv", filename="x.csv", format="csv"
    )
    before = _unchanged(record)
    with pytest.raises(PermissionDenied):
        workflow.transition(
            record, "fail", as_actor(jx_forecaster), workflow=event_import_services.IMPORT_WORKFLOW
        )
    assert _unchanged(record) == before
