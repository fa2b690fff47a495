"""Fixtures of the disciplines tests: reporting units in JX and NM, more experts, helpers
that build anomalies in every state through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from tests.factories import ReportingUnitFactory


@pytest.fixture
def jx_fluid_unit(jx, jx_reporter, disciplines):
    return ReportingUnitFactory(
        bureau=jx,
        code="JX-FL-01",
        name="南昌井",
        discipline=disciplines["fluid"],
        observation_items=["水位", "水温", "氡"],
        reporters=[jx_reporter],
    )


@pytest.fixture
def jx_other_unit(jx, make_person, disciplines):
    """A JX unit that jx_reporter does not hold."""
    return ReportingUnitFactory(
        bureau=jx,
        code="JX-MA-02",
        name="九江宏观点",
        kind="macro_point",
        discipline=disciplines["fluid"],
        location=Point(115.99, 29.71, srid=4326),
        observation_items=[],
        reporters=[make_person("jx_reporter2", (jx, "reporter"))],
    )


@pytest.fixture
def nm_reporter(make_person, nm):
    return make_person("nm_reporter", (nm, "reporter"))


@pytest.fixture
def nm_expert(make_person, nm):
    return make_person("nm_expert", (nm, "expert", "fluid"))


@pytest.fixture
def nm_unit(nm, nm_reporter, disciplines):
    return ReportingUnitFactory(
        bureau=nm,
        code="NM-FL-01",
        name="呼和浩特井",
        discipline=disciplines["fluid"],
        location=Point(111.7, 40.8, srid=4326),
        reporters=[nm_reporter],
    )


@pytest.fixture
def jx_expert2(make_person, jx):
    return make_person("jx_expert2", (jx, "expert", "fluid"))


@pytest.fixture
def jx_seis_expert(make_person, jx):
    return make_person("jx_seis_expert", (jx, "expert", "seismology"))


@pytest.fixture
def reported(jx_fluid_unit, jx_reporter, as_actor):
    """``reported()`` → a fresh anomaly in state reported, from a zero-report of jx_reporter."""
    from disciplines.services.zero_reports import AnomalyInput, zero_report_submit

    counter = {"n": 0}

    def make():
        counter["n"] += 1
        period = timezone.localdate() - timedelta(days=counter["n"])
        report = zero_report_submit(
            actor=as_actor(jx_reporter),
            unit=jx_fluid_unit,
            period=period,
            status="anomaly",
            anomaly=AnomalyInput(
                "水位", "水位突升 0.8 m", timezone.now() - timedelta(days=counter["n"], hours=2)
            ),
        )
        return report.anomaly

    return make


def complete_checks():
    from disciplines.models import InterferenceFactor

    return {f.value: {"result": "ruled_out", "finding": "无"} for f in InterferenceFactor}


@pytest.fixture
def in_state(reported, jx_expert, jx_expert2, as_actor):
    """``in_state("assessed")`` → an anomaly moved there through the services.

    jx_expert is the verifier; jx_expert2 reviews, rates and decides.
    """
    from disciplines.services import anomalies as anomaly_services
    from disciplines.services import assessment as assessment_services
    from disciplines.services import verification as verification_services

    def make(state: str):
        anomaly = reported()
        if state == "reported":
            return anomaly
        if state == "returned":
            return anomaly_services.anomaly_return_report(
                actor=as_actor(jx_expert2), anomaly=anomaly, comment="补充照片"
            )
        anomaly = anomaly_services.anomaly_assign(
            actor=as_actor(jx_expert2), anomaly=anomaly, assignee=jx_expert
        )
        if state == "verifying-blank":
            return anomaly
        verification_services.verification_save(
            actor=as_actor(jx_expert),
            anomaly=anomaly,
            observation="南昌井 水位",
            instrument="SWY-II 水位仪",
            onset_at=anomaly.onset_at,
            shape="阶跃上升",
            amplitude="0.8 m",
            checks=complete_checks(),
            analysis="排除干扰后仍存在",
            conclusion="precursory",
        )
        if state == "verifying":  # with a complete draft, ready to submit
            return anomaly
        anomaly = verification_services.anomaly_submit_verification(
            actor=as_actor(jx_expert), anomaly=anomaly
        )
        assessment_services.rating_save(
            actor=as_actor(jx_expert2),
            anomaly=anomaly,
            credibility="B",
            relation="possible",
            recommendation="track",
        )
        if state == "verified":  # rated once, ready to be assessed
            return anomaly
        anomaly = assessment_services.anomaly_assess(actor=as_actor(jx_expert2), anomaly=anomaly)
        if state == "assessed":
            return anomaly
        if state == "tracking":
            return assessment_services.anomaly_track(actor=as_actor(jx_expert2), anomaly=anomaly)
        if state == "closed":
            return assessment_services.anomaly_close(actor=as_actor(jx_expert2), anomaly=anomaly)
        raise ValueError(state)

    return make


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in English here (test_i18n checks the Chinese); the browser tests
    run in their own server process, in Chinese."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
