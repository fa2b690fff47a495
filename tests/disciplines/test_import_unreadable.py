"""A zero-report CSV that is not text (a NUL byte) or has a field over the csv module's limit
is refused with a 400 naming the line, and nothing is stored (it used to give a 500)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from disciplines.models import ZeroReport

pytestmark = pytest.mark.django_db

HEADER = "unit,period,status,observation_item,description,onset_at\n"


def _upload(text: str) -> io.BytesIO:
    upload = io.BytesIO(text.encode())
    upload.name = "reports.csv"
    return upload


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("JX-FL-01,{day},none,,\x00,\n", "Line 3 contains a NUL byte: the file is binary or corrupted."),
        (
            "JX-FL-01,{day},none,," + "x" * 200 * 1024 + ",\n",
            "Line 3 cannot be read as CSV (field larger than field limit (131072)).",
        ),
    ],
    ids=["nul-byte", "field-over-128KiB"],
)
def test_unreadable_zero_report_csv_is_refused_naming_the_line(
    api, jx_reporter, jx_fluid_unit, bad_line, expected
):
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    text = HEADER + f"JX-FL-01,{day},none,,,\n" + bad_line.format(day=day)
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/import/", {"file": _upload(text)}, format="multipart", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == expected
    assert ZeroReport.objects.count() == 0
