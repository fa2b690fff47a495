"""/api/v1/alert-rule/: the bureau admin reads and changes the bureau's alert rule, the
post-quake thresholds included; others are refused; bad values are 400s naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import AlertRule
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/alert-rule/"


def test_the_defaults_of_a_province_before_anything_is_saved(api, jx_admin):
    body = api(jx_admin).get(URL).json()
    assert body == {
        "bureau": "JX",
        "saved": False,
        "threshold_magnitude": 3.0,
        "distance_km": 0.0,
        "topic_report": True,
        "pushes": True,
        "emergency_meeting": True,
        "post_quake_case": True,
        "post_quake_min_magnitude": 5.0,
        "post_quake_distance_km": 100.0,
        "post_quake_min_magnitude_china": None,
        "post_quake_min_magnitude_abroad": None,
    }


def test_a_national_unit_starts_from_m6_in_china_and_m7_abroad(api, cenc, make_person):
    admin = make_person("cenc_admin", (cenc, "bureau_admin"))
    body = api(admin).patch(URL, {"threshold_magnitude": "6.5"}, format="json").json()
    assert (
        body["saved"],
        body["threshold_magnitude"],
        body["post_quake_min_magnitude"],
        body["post_quake_min_magnitude_china"],
        body["post_quake_min_magnitude_abroad"],
    ) == (True, 6.5, None, 6.0, 7.0)


def test_the_admin_changes_the_post_quake_thresholds_and_it_is_audited(api, jx, jx_admin):
    response = api(jx_admin).patch(
        URL,
        {
            "post_quake_min_magnitude": 5.5,
            "post_quake_distance_km": 60,
            "post_quake_min_magnitude_abroad": "7.5",
        },
        format="json",
    )
    assert response.status_code == 200
    rule = AlertRule.objects.get(bureau=jx)
    assert (
        rule.post_quake_min_magnitude,
        rule.post_quake_distance_km,
        rule.post_quake_min_magnitude_abroad,
    ) == (
        Decimal("5.5"),
        60.0,
        Decimal("7.5"),
    )
    audit = AuditEvent.objects.get(action="alert_rule.save")
    assert audit.extra["post_quake_min_magnitude"] == "5.5"
    assert sorted(audit.extra["fields"]) == [
        "post_quake_distance_km",
        "post_quake_min_magnitude",
        "post_quake_min_magnitude_abroad",
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"post_quake_min_magnitude": 10}, "post_quake_min_magnitude"),
        ({"post_quake_min_magnitude_china": "5.05"}, "post_quake_min_magnitude_china"),
        ({"post_quake_distance_km": 900}, "post_quake_distance_km"),
        ({"post_quake_distance_km": "NaN"}, "post_quake_distance_km"),
        ({"threshold_magnitude": None}, "threshold_magnitude"),
        # a case that no quake could open
        ({"post_quake_min_magnitude": None}, "post_quake_min_magnitude"),
    ],
)
def test_bad_values_are_400_naming_the_field_and_nothing_is_saved(api, jx_admin, data, field):
    response = api(jx_admin).patch(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not AlertRule.objects.exists()


def test_others_are_refused(api, jx, jx_forecaster):
    assert api(jx_forecaster).get(URL).status_code == 403
    assert api(jx_forecaster).patch(URL, {"post_quake_case": False}, format="json").status_code == 403
    assert api().get(URL).status_code == 401
    assert not AlertRule.objects.exists()
