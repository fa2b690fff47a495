"""A zero-report's status changes only through the workflow engine: a resubmission is one move
with from and to in the audit trail, broadcast to the matrix on commit; someone who does not
report for the unit changes nothing."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import timezone, translation

from disciplines.models import ZeroReport
from disciplines.services import zero_reports
from portal import workflow
from portal.exceptions import PermissionDenied
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_zero_report_table_is_registered_with_words():
    assert workflow.workflow_for(ZeroReport()) is zero_reports.ZERO_REPORT_WORKFLOW
    with translation.override("zh-hans"):
        assert workflow.label("zero_report.resubmit") == "重新上报"
        assert workflow.label("zero_report.submit") == "上报"


def test_a_resubmission_is_one_audited_move_broadcast_on_commit(
    as_actor, jx_reporter, jx_fluid_unit, django_capture_on_commit_callbacks
):
    reporter = as_actor(jx_reporter)
    period = timezone.localdate()
    zero_reports.zero_report_submit(actor=reporter, unit=jx_fluid_unit, period=period, status="none")
    anomaly = zero_reports.AnomalyInput(
        observation_item="水位", description="水位突升", onset_at=timezone.now()
    )
    with (
        mock.patch("portal.services.broadcast") as sent,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = zero_reports.zero_report_submit(
            actor=reporter, unit=jx_fluid_unit, period=period, status="anomaly", anomaly=anomaly
        )
    assert (report.status, report.revision) == ("anomaly", 2)
    audit = AuditEvent.objects.get(action="zero_report.resubmit")
    assert (audit.actor, audit.from_state, audit.to_state, audit.extra["revision"]) == (
        jx_reporter,
        "none",
        "anomaly",
        2,
    )
    matrix = [call.args[1] for call in sent.call_args_list if call.args[1].get("kind") == "zero_report"]
    assert [(event["status"], event["cell"]) for event in matrix] == [("anomaly", "a")]


def test_someone_not_reporting_for_the_unit_cannot_move_a_report(
    as_actor, jx_reporter, jx_viewer, jx_fluid_unit
):
    report = zero_reports.zero_report_submit(
        actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=timezone.localdate(), status="none"
    )
    audits = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        workflow.transition(
            report, "resubmit_anomaly", as_actor(jx_viewer), workflow=zero_reports.ZERO_REPORT_WORKFLOW
        )
    report.refresh_from_db()
    assert (report.status, report.revision, AuditEvent.objects.count()) == ("none", 1, audits)
