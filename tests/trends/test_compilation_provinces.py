"""The national unit's provinces section: what it reads of the provinces' reports."""

from __future__ import annotations

import datetime as dt

from portal.tenancy import bureau_reader
from tests.factories import BureauFactory
from trends.compilation import CompileContext, compile_all, compile_section
from trends.models import TrendReport, TrendSection

OCTOBER = dt.date(2026, 10, 1)


def report(bureau, status, version=1, month=OCTOBER, counts=None, opinion=""):
    row = TrendReport.objects.create(
        bureau=bureau,
        month=month,
        version=version,
        title=f"{bureau.code} {month:%Y-%m} v{version}",
        status=status,
    )
    TrendSection.objects.create(report=row, key="seismicity", data={"counts": counts or {}, "n_events": 7})
    TrendSection.objects.create(report=row, key="opinion", text=opinion)
    return row


def test_the_provinces_issued_reports(cenc, jx, nm):
    zj = BureauFactory(code="ZJ", name_zh="浙江省地震局")
    report(jx, "issued", 1, counts={"2.0–2.9": 1}, opinion="旧")
    latest = report(jx, "archived", 2, counts={"2.0–2.9": 3}, opinion="未来一个月江西无5级地震")
    report(nm, "draft", opinion="草稿")  # CENC does not read a draft
    report(zj, "issued", month=dt.date(2026, 9, 1))  # another month
    report(cenc, "issued")  # its own
    compiled = compile_section(
        "provinces", CompileContext(bureau=cenc, month=OCTOBER, reader=bureau_reader(cenc))
    )
    data = compiled.data
    assert [row["bureau"] for row in data["reports"]] == ["JX"]
    (row,) = data["reports"]
    assert row["id"] == latest.pk
    assert row["version"] == 2
    assert row["url"] == f"/trends/{latest.pk}/"
    assert row["counts"] == {"2.0–2.9": 3}
    assert row["opinion"] == "未来一个月江西无5级地震"
    assert [m["bureau"] for m in data["not_issued"]] == ["NM", "ZJ"]


def test_a_province_reads_no_other_province(jx, nm):
    report(nm, "issued")
    data = compile_section(
        "provinces", CompileContext(bureau=jx, month=OCTOBER, reader=bureau_reader(jx))
    ).data
    assert data["reports"] == []


def test_compile_all_gives_every_section(cenc, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    compiled = compile_all(CompileContext(bureau=cenc, month=OCTOBER, reader=bureau_reader(cenc)))
    assert list(compiled) == [
        "seismicity",
        "products",
        "anomalies",
        "zero_reports",
        "last_forecast",
        "meeting",
        "opinion",
        "provinces",
    ]
    assert compiled["seismicity"].n_events == 0
    assert compiled["meeting"].data["state"] == "none"
