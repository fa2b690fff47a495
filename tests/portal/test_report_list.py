"""The report list across kinds (/reports/): filters, search words, tenancy, waiting for me."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from consultations.models import ReportStatus
from portal import report_index, waiting
from portal.report_index import ReportFilter, ReportKind, ReportRow, parse_query
from portal.timefmt import BEIJING
from tests.factories import ConsultationReportFactory, MeetingFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class FakeTrendKind:
    """A monthly trend report kind as the trends app will register it; remembers the filters."""

    def __init__(self) -> None:
        self.seen: list[ReportFilter] = []

    def rows(self, actor, report_filter: ReportFilter) -> list[ReportRow]:
        self.seen.append(report_filter)
        if actor.bureau is None or actor.bureau.code != "JX":
            return []
        rows = [
            ReportRow(
                kind="trend_report",
                id=month,
                title=f"2026年{month}月江西省地震趋势会商报告",
                bureau_code="JX",
                bureau_name="江西省地震局",
                date=dt.datetime(2026, month, 28, tzinfo=BEIJING),
                url=f"/trend/{month}/",
                status="issued" if month < 11 else "draft",
                status_label="已签发" if month < 11 else "草稿",
                month=dt.date(2026, month, 1),
            )
            for month in (9, 10, 11)
        ]
        return [
            r
            for r in rows
            if (report_filter.month_of_year is None or r.month.month == report_filter.month_of_year)
            and (report_filter.month is None or r.month == report_filter.month)
            and (not report_filter.status or r.status == report_filter.status)
            and (not report_filter.bureau or r.bureau_code == report_filter.bureau)
            and report_filter.q in r.title
        ]


@pytest.fixture
def trend_kind():
    fake = FakeTrendKind()
    real = report_index._KINDS.get("trend_report")  # the trends app's, put back after the test
    report_index.register(
        ReportKind(
            key="trend_report",
            label="月度趋势会商报告",
            rows=fake.rows,
            states=lambda: [("draft", "草稿"), ("issued", "已签发"), ("reviewed", "已审核")],
            words=("月报", "月度趋势"),
        )
    )
    yield fake
    report_index._KINDS.pop("trend_report", None)
    if real is not None:
        report_index.register(real)


@pytest.fixture
def reports(jx, nm):
    october = dt.datetime(2026, 10, 20, 9, tzinfo=BEIJING)
    return {
        "jx_draft": ConsultationReportFactory(
            meeting=MeetingFactory(bureau=jx, title="赣十月会商", starts_at=october)
        ),
        "jx_issued": ConsultationReportFactory(
            meeting=MeetingFactory(bureau=jx, title="赣九月会商", starts_at=october - dt.timedelta(days=30)),
            status=ReportStatus.ISSUED,
        ),
        "nm_draft": ConsultationReportFactory(
            meeting=MeetingFactory(bureau=nm, title="蒙十月会商", starts_at=october)
        ),
        "nm_issued": ConsultationReportFactory(
            meeting=MeetingFactory(bureau=nm, title="蒙十月正式", starts_at=october),
            status=ReportStatus.ISSUED,
        ),
    }


def _listed(client, **query) -> list[tuple[str, str]]:
    response = client.get("/reports/", query)
    assert response.status_code == 200
    import re

    return re.findall(r'data-kind="([a-z_]+)" data-report="(\d+)"', response.content.decode())


def _key(report) -> tuple[str, str]:
    return ("consultation_report", str(report.pk))


# --- the search words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "month", "month_of_year", "rest"),
    [
        ("十月 月报", None, 10, ""),
        ("2026年10月 月度趋势", dt.date(2026, 10, 1), None, ""),
        ("2026-10", dt.date(2026, 10, 1), None, ""),
        ("October", None, 10, ""),
        ("oct flood", None, 10, "flood"),
        ("十二月", None, 12, ""),
        ("11月 地震", None, 11, "地震"),
        ("十月报告", None, 10, "报告"),
    ],
)
def test_search_words_give_months_and_kinds(trend_kind, text, month, month_of_year, rest):
    parsed = parse_query(text)

    assert (parsed.month, parsed.month_of_year, parsed.q) == (month, month_of_year, rest)


def test_kind_words_name_their_kind(trend_kind):
    assert parse_query("月报").kinds == ("trend_report",)
    assert parse_query("会商报告").kinds == ("consultation_report",)
    assert parse_query("震区专题").kinds == ("topic_report",)


# --- the page ---------------------------------------------------------------------------------


def test_october_monthly_finds_the_trend_report_only(trend_kind, reports, jx_forecaster):
    listed = _listed(_client(jx_forecaster), q="十月 月报")

    assert listed == [("trend_report", "10")]
    assert trend_kind.seen[-1].month_of_year == 10


def test_all_kinds_merge_newest_first_and_respect_tenancy(trend_kind, reports, jx_forecaster):
    listed = _listed(_client(jx_forecaster))

    assert set(listed) == {
        ("trend_report", "9"),
        ("trend_report", "10"),
        ("trend_report", "11"),
        _key(reports["jx_draft"]),
        _key(reports["jx_issued"]),
    }
    # the consultation reports were touched now, the fake trend reports in 2026-09..11
    assert listed[:2] == sorted(
        [_key(reports["jx_draft"]), _key(reports["jx_issued"])], key=lambda k: -int(k[1])
    )


def test_kind_month_and_state_filters(trend_kind, reports, jx_forecaster):
    client = _client(jx_forecaster)

    assert _listed(client, kind="consultation_report", month="2026-10") == [_key(reports["jx_draft"])]
    assert _listed(client, kind="consultation_report", state="issued") == [_key(reports["jx_issued"])]
    assert _listed(client, state="draft") == [_key(reports["jx_draft"]), ("trend_report", "11")]
    assert _listed(client, q="十月", kind="consultation_report") == [_key(reports["jx_draft"])]


def test_a_national_unit_filters_by_bureau_and_never_sees_drafts(reports, cenc_forecaster):
    client = _client(cenc_forecaster)

    assert set(_listed(client)) == {_key(reports["jx_issued"]), _key(reports["nm_issued"])}
    assert _listed(client, bureau="NM") == [_key(reports["nm_issued"])]


def test_another_provinces_draft_is_never_listed(reports, nm_forecaster):
    listed = _listed(_client(nm_forecaster), q="会商")

    assert _key(reports["jx_draft"]) not in listed
    assert _key(reports["jx_issued"]) not in listed
    assert set(_listed(_client(nm_forecaster))) == {_key(reports["nm_draft"]), _key(reports["nm_issued"])}


def test_a_province_cannot_pick_another_bureau(reports, nm_forecaster):
    response = _client(nm_forecaster).get("/reports/", {"bureau": "JX"})

    assert response.status_code == 400
    assert 'data-field="bureau"' in response.content.decode()


def test_a_bad_month_is_a_400_naming_it(jx_forecaster):
    response = _client(jx_forecaster).get("/reports/", {"month": "2026-13"})

    assert response.status_code == 400
    assert 'data-field="month"' in response.content.decode()


def test_waiting_tab_lists_the_report_work_only(trend_kind, jx_approver):
    def fake_waiting(actor):
        return [
            waiting.WaitingItem(
                label="2026年11月趋势报告", url="/trend/11/", what="待签发", kind="trend_report"
            ),
            waiting.WaitingItem(label="水位突升", url="/a/1/", what="待核实", kind="anomaly"),
        ]

    waiting.register(fake_waiting)
    try:
        page = _client(jx_approver).get("/reports/", {"tab": "waiting"}).content.decode()
    finally:
        waiting._REGISTRY.remove(fake_waiting)

    assert "2026年11月趋势报告" in page
    assert "水位突升" not in page


def test_list_shows_kind_bureau_state_version_and_beijing_dates(trend_kind, reports, jx_forecaster):
    page = (
        _client(jx_forecaster).get("/reports/", {"kind": "trend_report", "month": "2026-10"}).content.decode()
    )

    assert "月度趋势会商报告 · JX 江西省地震局 · 2026-10 · 2026-10-28 00:00" in page
    assert 'data-status="issued"' in page
    assert "v1" in page


def test_the_nav_and_the_consultation_list_link_to_the_list(jx_forecaster):
    client = _client(jx_forecaster)

    assert 'href="/reports/"' in client.get("/").content.decode()
    assert 'href="/reports/"' in client.get("/consultations/reports/").content.decode()


def test_the_page_says_how_it_read_the_search(trend_kind, jx_forecaster):
    page = _client(jx_forecaster).get("/reports/", {"q": "十月 月报 江西"}).content.decode()

    assert "类别：月度趋势会商报告 · 各年 10 月 · 标题：江西" in page


def test_the_merged_list_pages_newest_first(jx, jx_forecaster):
    made = [
        ConsultationReportFactory(meeting=MeetingFactory(bureau=jx, title=f"会商 {i}")) for i in range(30)
    ]
    client = _client(jx_forecaster)

    first, second = _listed(client), _listed(client, page="2")

    assert first + second == [_key(r) for r in reversed(made)]
    assert len(first) == 25
