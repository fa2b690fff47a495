"""Zero-report periods and date filters outside the years 1900 to 2199 are a 400, never a 500."""

from __future__ import annotations

import pytest

from disciplines.models import ZeroReport

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period", ["0001-01-01", "1899-12-31"])
def test_zero_report_for_a_period_before_1900_is_refused_and_not_stored(
    api, jx_reporter, jx_fluid_unit, period
):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/", {"unit": jx_fluid_unit.pk, "period": period, "status": "none"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["period"]
    assert ZeroReport.objects.count() == 0


@pytest.mark.parametrize(("param", "value"), [("start", "0001-01-01"), ("end", "9999-12-31")])
def test_zero_report_list_refuses_a_date_filter_outside_the_work_years(api, jx_reporter, param, value):
    response = api(jx_reporter).get("/api/v1/zero-reports/", {param: value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]
