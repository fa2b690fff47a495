"""The Chinese the people read: API refusals and pages in zh-hans, the default language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_refusals_are_in_chinese_by_default(settings, api, jx_reporter, jx_other_unit, jx_fluid_unit):
    settings.LANGUAGE_CODE = "zh-hans"
    client = api(jx_reporter)
    refused = client.post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_other_unit.pk,
            "period": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "status": "none",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.json()["detail"] == "您不负责九江宏观点的填报，只有其责任填报员可以填报。"
    future = client.post(
        "/api/v1/zero-reports/",
        {"unit": jx_fluid_unit.pk, "period": "2099-01-01", "status": "none"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert future.json()["detail"] == "时段 2099-01-01 是未来日期。"


def test_matrix_page_speaks_chinese(settings, client, jx_expert, jx_fluid_unit):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(jx_expert)
    body = client.get("/disciplines/matrix/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "填报矩阵" in body
    assert "缺报" in body
