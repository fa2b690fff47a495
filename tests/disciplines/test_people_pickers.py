"""The verifier picker lists the experts of the anomaly's discipline, by name, with the actor first chosen."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from disciplines.models import Anomaly, ReportingUnit

pytestmark = pytest.mark.django_db


def test_assign_form_lists_experts_of_the_discipline_and_defaults_to_me(
    reported, jx_expert, jx_expert2, jx_seis_expert
):
    anomaly = reported()
    client = Client()
    client.force_login(jx_expert2)
    page = client.get(f"/disciplines/anomalies/{anomaly.pk}/").content.decode()
    picker = page.split('name="assignee"')[1].split("</select>")[0]
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', picker)
    assert {(int(v), label) for v, _sel, label in options} == {
        (jx_expert.pk, "jx_expert (JX)"),
        (jx_expert2.pk, "jx_expert2 (JX)"),
    }
    assert [int(v) for v, sel, _label in options if sel] == [jx_expert2.pk]  # assign to me


def test_assigning_an_expert_of_another_discipline_is_400_naming_the_field(
    api, reported, jx_expert, jx_seis_expert
):
    anomaly = reported()
    response = api(jx_expert).post(
        f"/api/v1/anomalies/{anomaly.pk}/assign/", {"assignee": jx_seis_expert.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["assignee"]
    anomaly.refresh_from_db()
    assert (anomaly.state, anomaly.assignee_id) == (Anomaly.State.REPORTED, None)


def test_a_reporting_unit_takes_only_reporters(api, jx_admin, jx_reporter, jx_expert, disciplines):
    body = {
        "code": "JX-FL-09",
        "name": "瑞昌井",
        "kind": "station",
        "discipline": "fluid",
        "lon": 115.67,
        "lat": 29.68,
        "reporters": [jx_expert.pk],
    }
    response = api(jx_admin).post("/api/v1/reporting-units/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reporters"]
    assert not ReportingUnit.objects.filter(code="JX-FL-09").exists()
    response = api(jx_admin).post(
        "/api/v1/reporting-units/", {**body, "reporters": [jx_reporter.pk]}, format="json"
    )
    assert response.status_code == 201, response.json()


def test_reassign_picker_leaves_out_the_current_verifier(reported, jx_expert, jx_expert2, as_actor):
    from disciplines.services.anomalies import anomaly_assign

    anomaly = anomaly_assign(actor=as_actor(jx_expert), anomaly=reported(), assignee=jx_expert)
    client = Client()
    client.force_login(jx_expert)
    page = client.get(f"/disciplines/anomalies/{anomaly.pk}/").content.decode()
    picker = page.split('name="assignee"')[1].split("</select>")[0]
    assert [int(v) for v in re.findall(r'<option value="(\d+)"', picker)] == [jx_expert2.pk]
