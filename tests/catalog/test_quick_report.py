from datetime import UTC, datetime, timedelta, timezone

import pytest

from catalog.quick_report import (
    PROVINCE_CODES,
    QuickReport,
    QuickReportParseError,
    fingerprint,
    normalise_text,
    parse_quick_report,
    source_code_for,
)

BJ = timezone(timedelta(hours=8))
RECEIVED = datetime(2017, 12, 21, 9, 15, tzinfo=BJ)

JIANGXI = (
    "【江西省地震局】江西省地震台网测定:2017年12月21日09时10分在江西宜春市上高县"
    "(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。"
)
CENC_LABELLED = (
    "中国地震台网中心正式测定：2017-12-02 06:18:07在内蒙古赤峰市阿鲁科尔沁旗发生3.2级"
    "地震，震中纬度44.10，经度120.73，震源深度15km。"
)
JISHISHAN = (
    "中国地震台网正式测定：12月18日23时59分在甘肃临夏州积石山县（北纬35.70度，"
    "东经102.79度）发生6.2级地震，震源深度10公里。"
)
WUSHI = (
    "中国地震台网自动测定：01月22日02时09分在新疆阿克苏地区乌什县附近（北纬41.26度，"
    "东经78.63度）发生7.1级左右地震，最终结果以正式速报为准。"
)
TOHOKU = (
    "中国地震台网正式测定：03月11日13时46分在日本本州东海岸附近海域（北纬38.10度，"
    "东经142.60度）发生9.0级地震，震源深度20千米。"
)
CHILE = (
    "中国地震台网正式测定：2010年02月27日14时34分在智利中部沿岸近海（南纬35.85度，"
    "西经72.72度）发生8.8级地震，震源深度35千米。"
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------- the four formats


def test_jiangxi_bureau_report_is_parsed_completely():
    # when
    report = parse_quick_report(JIANGXI, received_at=RECEIVED)

    # then
    assert report == QuickReport(
        origin_time=utc(2017, 12, 21, 1, 10),
        latitude=28.11,
        longitude=115.01,
        depth_km=5.0,
        magnitude=2.4,
        magnitude_type="M",
        location_name="江西宜春市上高县",
        report_kind="formal",
        source="江西省地震台网",
        source_code="JX",
        sender="江西省地震局",
        is_approximate=False,
        raw_text=JIANGXI,
    )
    assert report.raw_text == JIANGXI


def test_cenc_labelled_form_with_iso_time_and_km():
    report = parse_quick_report(CENC_LABELLED, received_at=RECEIVED)

    assert report.origin_time == utc(2017, 12, 1, 22, 18, 7)
    assert (report.latitude, report.longitude) == (44.10, 120.73)
    assert report.depth_km == 15.0
    assert report.magnitude == 3.2
    assert report.location_name == "内蒙古赤峰市阿鲁科尔沁旗"
    assert report.source == "中国地震台网中心"
    assert report.source_code == "CENC"
    assert report.report_kind == "formal"


def test_formal_report_without_year_takes_year_of_receipt():
    received = datetime(2023, 12, 19, 0, 5, tzinfo=BJ)

    report = parse_quick_report(JISHISHAN, received_at=received)

    assert report.origin_time == utc(2023, 12, 18, 15, 59)
    assert report.depth_km == 10.0
    assert report.source == "中国地震台网"
    assert report.source_code == "CENC"


def test_automatic_report_is_approximate_and_has_no_depth():
    received = datetime(2024, 1, 22, 2, 11, tzinfo=BJ)

    report = parse_quick_report(WUSHI, received_at=received)

    assert report.report_kind == "automatic"
    assert report.is_approximate is True
    assert report.depth_km is None
    assert report.magnitude == 7.1
    assert report.origin_time == utc(2024, 1, 21, 18, 9)
    assert report.location_name == "新疆阿克苏地区乌什县附近"


# ------------------------------------------------------------- time variants


def test_year_rolls_back_when_december_quake_is_received_in_january():
    text = JISHISHAN.replace("12月18日23时59分", "12月31日23时59分")
    received = datetime(2018, 1, 1, 0, 3, tzinfo=BJ)

    report = parse_quick_report(text, received_at=received)

    assert report.origin_time == utc(2017, 12, 31, 15, 59)


def test_year_is_the_receipt_year_in_beijing_time_not_utc():
    # 2018-01-01 00:30 Beijing is still 2017 in UTC
    text = JISHISHAN.replace("12月18日23时59分", "01月01日00时10分")
    received = datetime(2017, 12, 31, 16, 30, tzinfo=UTC)

    report = parse_quick_report(text, received_at=received)

    assert report.origin_time == utc(2017, 12, 31, 16, 10)


def test_report_a_day_after_receipt_stays_in_the_receipt_year_and_is_refused():
    # a clock ahead is not a reason to go back a year; a quake a day after its
    # receipt has not happened, so the report is refused rather than dated 2020
    text = JISHISHAN.replace("12月18日23时59分", "03月02日10时00分")
    received = datetime(2021, 3, 1, 12, 0, tzinfo=BJ)

    with pytest.raises(QuickReportParseError) as refused:
        parse_quick_report(text, received_at=received)

    assert refused.value.part == "time"
    assert "more than one hour after the message was received" in refused.value.message


def test_report_within_the_hour_after_receipt_is_accepted():
    text = JISHISHAN.replace("12月18日23时59分", "03月01日12时59分")
    received = datetime(2021, 3, 1, 12, 0, tzinfo=BJ)

    report = parse_quick_report(text, received_at=received)

    assert report.origin_time == utc(2021, 3, 1, 4, 59)


@pytest.mark.parametrize(
    ("time_text", "expected"),
    [
        ("2017年12月21日09时10分25秒", utc(2017, 12, 21, 1, 10, 25)),
        ("2017年12月21日09时10分25.6秒", utc(2017, 12, 21, 1, 10, 25, 600000)),
        ("2017-12-21 09:10", utc(2017, 12, 21, 1, 10)),
        ("2017-12-21 09:10:25", utc(2017, 12, 21, 1, 10, 25)),
        ("2017/12/21 09:10:25", utc(2017, 12, 21, 1, 10, 25)),
        ("2017年12月21日 09:10:25", utc(2017, 12, 21, 1, 10, 25)),
        ("12月21日09:10", utc(2017, 12, 21, 1, 10)),
    ],
)
def test_time_forms_with_and_without_seconds(time_text, expected):
    text = JIANGXI.replace("2017年12月21日09时10分", time_text)

    report = parse_quick_report(text, received_at=RECEIVED)

    assert report.origin_time == expected


def test_full_width_digits_and_punctuation_are_normalised():
    text = (
        "中国地震台网正式测定：１２月１８日２３时５９分在甘肃临夏州积石山县（北纬３５．７０度，"
        "东经１０２．７９度）发生６．２级地震，震源深度１０公里。"
    )
    received = datetime(2023, 12, 19, 0, 5, tzinfo=BJ)

    report = parse_quick_report(text, received_at=received)

    assert (report.latitude, report.longitude, report.magnitude) == (35.70, 102.79, 6.2)
    assert report.origin_time == utc(2023, 12, 18, 15, 59)


def test_extra_whitespace_newlines_and_trailing_signature_are_ignored():
    text = (
        "  中国地震台网正式测定：\n12月18日 23时59分\n"
        "在 甘肃临夏州积石山县 （北纬 35.70度 ，东经 102.79 度）\r\n"
        "发生 6.2 级地震 ， 震源深度 10 公里 。\n\n【中国地震台网】  "
    )
    received = datetime(2023, 12, 19, 0, 5, tzinfo=BJ)

    report = parse_quick_report(text, received_at=received)

    assert report.location_name == "甘肃临夏州积石山县"
    assert (report.latitude, report.longitude, report.depth_km) == (35.70, 102.79, 10.0)
    assert report.magnitude == 6.2
    assert report.sender == "中国地震台网"


# ------------------------------------------------------------- foreign quakes


def test_foreign_quake_in_northern_and_eastern_hemisphere():
    received = datetime(2011, 3, 11, 13, 50, tzinfo=BJ)

    report = parse_quick_report(TOHOKU, received_at=received)

    assert report.origin_time == utc(2011, 3, 11, 5, 46)
    assert (report.latitude, report.longitude) == (38.10, 142.60)
    assert report.magnitude == 9.0
    assert report.location_name == "日本本州东海岸附近海域"


def test_southern_and_western_hemisphere_are_negative():
    report = parse_quick_report(CHILE, received_at=datetime(2010, 2, 27, 15, 0, tzinfo=BJ))

    assert (report.latitude, report.longitude) == (-35.85, -72.72)
    assert report.origin_time == utc(2010, 2, 27, 6, 34)


def test_labelled_coordinates_with_hemisphere_letters():
    text = CENC_LABELLED.replace("震中纬度44.10，经度120.73", "震中纬度15.2°S，经度70.1°W")

    report = parse_quick_report(text, received_at=RECEIVED)

    assert (report.latitude, report.longitude) == (-15.2, -70.1)


# ------------------------------------------------------------- magnitude and depth


@pytest.mark.parametrize(
    ("mag_text", "value", "mag_type"),
    [
        ("M5.0级", 5.0, "M"),
        ("M 5.0级", 5.0, "M"),
        ("Ms6.2级", 6.2, "Ms"),
        ("MS6.2", 6.2, "Ms"),
        ("ML2.4级", 2.4, "ML"),
        ("Mw7.8", 7.8, "Mw"),
        ("5.0级", 5.0, "M"),
    ],
)
def test_magnitude_forms_and_types(mag_text, value, mag_type):
    text = JIANGXI.replace("2.4级", mag_text)

    report = parse_quick_report(text, received_at=RECEIVED)

    assert (report.magnitude, report.magnitude_type) == (value, mag_type)


@pytest.mark.parametrize(
    ("depth_text", "expected"),
    [
        ("震源深度5千米", 5.0),
        ("震源深度5公里", 5.0),
        ("震源深度5km", 5.0),
        ("震源深度5KM", 5.0),
        ("震源深度5Km", 5.0),
        ("震源深度 12.5 km", 12.5),
        ("震源深度：8千米", 8.0),
    ],
)
def test_depth_units(depth_text, expected):
    text = JIANGXI.replace("震源深度5千米", depth_text)

    report = parse_quick_report(text, received_at=RECEIVED)

    assert report.depth_km == expected


def test_depth_missing_gives_none():
    text = JIANGXI.replace(",震源深度5千米", "")

    report = parse_quick_report(text, received_at=RECEIVED)

    assert report.depth_km is None


# ------------------------------------------------------------- sources


def test_province_network_without_signature_gets_code():
    text = (
        "四川省地震台网正式测定:2019年06月17日22时55分在四川宜宾市长宁县"
        "(北纬28.34度,东经104.90度)发生6.0级地震,震源深度16千米。"
    )

    report = parse_quick_report(text, received_at=datetime(2019, 6, 17, 23, 5, tzinfo=BJ))

    assert report.source == "四川省地震台网"
    assert report.source_code == "SC"
    assert report.sender == ""


def test_signature_only_gives_the_bureau_as_source():
    text = JIANGXI.replace("江西省地震台网测定:", "")

    report = parse_quick_report(text, received_at=RECEIVED)

    assert report.source == "江西省地震局"
    assert report.source_code == "JX"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("中国地震台网中心", "CENC"),
        ("中国地震台网", "CENC"),
        ("内蒙古自治区地震局", "NM"),
        ("广西壮族自治区地震局", "GX"),
        ("黑龙江省地震台网", "HL"),
        ("山西省地震局", "SX"),
        ("陕西省地震局", "SN"),
        ("河南省地震局", "HA"),
        ("湖南省地震台网", "HN"),
        ("海南省地震局", "HI"),
        ("地球物理研究所", None),
        ("", None),
    ],
)
def test_source_code_guess(name, code):
    assert source_code_for(name) == code


def test_province_table_has_the_31_provinces():
    assert len(PROVINCE_CODES) == 31
    assert len(set(PROVINCE_CODES.values())) == 31


# ------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "part"),
    [
        (JIANGXI.replace("2017年12月21日09时10分", "昨天上午"), "time"),
        (JIANGXI.replace("12月21日09时10分", "13月21日09时10分"), "time"),
        (JIANGXI.replace("09时10分", "25时10分"), "time"),
        (JIANGXI.replace("北纬28.11度,", ""), "latitude"),
        (JIANGXI.replace("北纬28.11度", "北纬95.20度"), "latitude"),
        (JIANGXI.replace(",东经115.01度", ""), "longitude"),
        (JIANGXI.replace("东经115.01度", "东经215.01度"), "longitude"),
        (JIANGXI.replace("2.4级", "级"), "magnitude"),
        (JIANGXI.replace("2.4级", "12.4级"), "magnitude"),
        (JIANGXI.replace("震源深度5千米", "震源深度900千米"), "depth"),
        (JIANGXI.replace("震源深度5千米", "震源深度不详"), "depth"),
        (JIANGXI.replace("在江西宜春市上高县", "在"), "location"),
        ("", "time"),
    ],
)
def test_unreadable_part_is_named_in_the_error(text, part):
    with pytest.raises(QuickReportParseError) as caught:
        parse_quick_report(text, received_at=RECEIVED)

    assert caught.value.part == part


def test_error_message_is_chinese_and_english_and_quotes_the_text():
    text = JIANGXI.replace("北纬28.11度", "北纬95.20度")

    with pytest.raises(QuickReportParseError) as caught:
        parse_quick_report(text, received_at=RECEIVED)

    assert str(caught.value).startswith(
        "震中纬度 95.2 超出范围 -90..90 / "
        "epicentre latitude 95.2 is out of range -90..90 in '【江西省地震局】"
    )


def test_time_error_message():
    text = "中国地震台网正式测定：在甘肃发生6.2级地震"

    with pytest.raises(QuickReportParseError) as caught:
        parse_quick_report(text, received_at=RECEIVED)

    assert caught.value.message == (
        "无法识别发震时间 / could not read the origin time in '中国地震台网正式测定:在甘肃发生6.2级地震'"
    )


def test_naive_received_at_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_quick_report(JIANGXI, received_at=datetime.fromisoformat("2017-12-21"))


# ------------------------------------------------------------- normalising


def test_normalise_text_folds_width_and_whitespace():
    assert normalise_text("  北纬（３５．７０度）\n\t发生\u200b ") == "北纬(35.70度) 发生"


def test_fingerprint_is_stable_across_width_and_wrapping():
    half = JISHISHAN
    full = JISHISHAN.replace("35.70", "３５．７０").replace("，", "，\n ")

    assert fingerprint(half) == fingerprint(full)
    assert fingerprint(half) != fingerprint(WUSHI)
    assert len(fingerprint(half)) == 64


def test_report_fingerprint_property_matches_function():
    report = parse_quick_report(JIANGXI, received_at=RECEIVED)

    assert report.fingerprint == fingerprint(JIANGXI)
