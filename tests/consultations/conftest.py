"""Fixtures of the consultation tests: experts of every discipline, meetings built with services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

JX_SQUARE = {"type": "Polygon", "coordinates": [[[115, 27], [116, 27], [116, 28], [115, 28], [115, 27]]]}
NM_SQUARE = {"type": "Polygon", "coordinates": [[[110, 41], [111, 41], [111, 42], [110, 42], [110, 41]]]}


@pytest.fixture
def jx_seis(make_person, jx):
    return make_person("jx_seis", (jx, "expert", "seismology"), display_name="赣测震专家")


@pytest.fixture
def nm_fluid(make_person, nm):
    return make_person("nm_fluid", (nm, "expert", "fluid"), display_name="蒙流体专家")


@pytest.fixture
def nm_viewer(make_person, nm):
    return make_person("nm_viewer", (nm, "viewer"))


@pytest.fixture
def make_meeting(as_actor):
    from consultations.services import meetings as meeting_services

    def make(chair, *, kind="monthly", joint=(), participants=(), title="2026年12月月会商", **extra):
        return meeting_services.meeting_create(
            actor=as_actor(chair),
            kind=kind,
            title=title,
            starts_at=timezone.now() + dt.timedelta(hours=1),
            joint_bureaus=list(joint),
            participants=list(participants),
            **extra,
        )

    return make


@pytest.fixture
def jx_meeting(make_meeting, jx_chair):
    return make_meeting(jx_chair)


@pytest.fixture
def closed_meeting(jx_meeting, jx_chair, jx_expert, as_actor):
    """A JX meeting with a fluid opinion, a conclusion and one forecast, closed."""
    from consultations.services import conclusion as conclusion_services
    from consultations.services import meetings as meeting_services
    from consultations.services import opinions as opinion_services

    chair = as_actor(jx_chair)
    meeting_services.meeting_open(actor=chair, meeting=jx_meeting)
    opinion_services.opinion_submit(
        actor=as_actor(jx_expert),
        meeting=jx_meeting,
        discipline="fluid",
        summary="赣州水位井出现趋势转折",
        window_start=dt.date(2026, 12, 1),
        window_end=dt.date(2026, 12, 31),
        regions=JX_SQUARE,
        min_magnitude="4.0",
        max_magnitude="5.0",
        likelihood="medium",
    )
    conclusion_services.conclusion_edit(
        actor=chair, meeting=jx_meeting, text="未来一个月赣中地区存在发生4级左右地震的可能。"
    )
    conclusion_services.forecast_add(
        actor=chair,
        meeting=jx_meeting,
        window_start=dt.date(2026, 12, 1),
        window_end=dt.date(2026, 12, 31),
        region=JX_SQUARE,
        min_magnitude="4.0",
        max_magnitude="5.0",
        likelihood="medium",
    )
    meeting_services.meeting_close(actor=chair, meeting=jx_meeting)
    jx_meeting.refresh_from_db()
    return jx_meeting


@pytest.fixture
def report_in(closed_meeting, jx_chair, jx_approver, jx_admin, as_actor):
    """``report_in(state)`` → a report of the closed JX meeting moved to ``state`` by the right people."""
    from consultations.services import report_workflow as report_services

    def make(state: str):
        chair = as_actor(jx_chair)
        approver = as_actor(jx_approver)
        report = report_services.report_create(actor=chair, meeting=closed_meeting)
        path = {
            "draft": [],
            "submitted": ["submit"],
            "returned": ["submit", "return"],
            "reviewed": ["submit", "review"],
            "signed_off": ["submit", "review", "sign_off"],
            "issued": ["submit", "review", "sign_off", "issue"],
            "archived": ["submit", "review", "sign_off", "issue", "archive"],
        }[state]
        for step in path:
            if step == "submit":
                report = report_services.report_submit(actor=chair, report=report)
            elif step == "return":
                report = report_services.report_return(
                    actor=approver, report=report, comment="补充形变学科意见"
                )
            else:
                report = getattr(report_services, f"report_{step}")(actor=approver, report=report)
        return report

    return make


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English msgids."""
    from django.utils import translation

    with translation.override("en"):
        yield
