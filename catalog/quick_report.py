"""Parse the quick-report SMS (地震速报短信) sent by CENC and the provincial networks.

The texts seen in practice are listed in ``/work/shared/DOMAIN.md``
("Quick-report SMS: the formats seen"), for example (one line each)::

    【江西省地震局】江西省地震台网测定:2017年12月21日09时10分在江西宜春市
    上高县(北纬28.11度,东经115.01度)发生2.4级地震,震源深度5千米。

    中国地震台网中心正式测定：2017-12-02 06:18:07在内蒙古赤峰市阿鲁科尔沁旗
    发生3.2级地震，震中纬度44.10，经度120.73，震源深度15km。

Each part (time, place, coordinates, magnitude, depth) is found by its own
pattern rather than by one template, so the order of the parts, the
punctuation (full- or half-width, normalised with NFKC) and extra words
around them do not matter. Times in the text are Beijing time (UTC+8, no
summer time); the result is in UTC.

The module is pure: no Django, no database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "BEIJING",
    "PROVINCE_CODES",
    "QuickReport",
    "QuickReportParseError",
    "fingerprint",
    "normalise_text",
    "parse_quick_report",
    "source_code_for",
]

#: Beijing time. A fixed offset on purpose: ``ZoneInfo("Asia/Shanghai")``
#: applies the 1986-1991 summer time, which Chinese seismic reports never used.
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")

#: A report dated more than this after its receipt belongs to the previous
#: year (a December quake reported in early January, year left out).
YEAR_ROLLBACK_AFTER = timedelta(days=2)

#: A quick report is sent within minutes of the quake; one about a quake more than
#: this before its receipt is an old or mistyped message, not news to publish.
ORIGIN_BEFORE_RECEIPT_MAX = timedelta(days=30)
#: Clocks of networks and phones disagree a little; a quake further in the future
#: than this, measured from the receipt, has not happened.
ORIGIN_AFTER_RECEIPT_MAX = timedelta(hours=1)

#: The 31 provincial-level units and their usual earthquake-bureau codes.
#: Keys are the short names that start both the bureau's and the network's
#: name (江西省地震局, 江西省地震台网, 内蒙古自治区地震局, 广西壮族自治区...).
PROVINCE_CODES: dict[str, str] = {
    "北京": "BJ",
    "天津": "TJ",
    "河北": "HE",
    "山西": "SX",
    "内蒙古": "NM",
    "辽宁": "LN",
    "吉林": "JL",
    "黑龙江": "HL",
    "上海": "SH",
    "江苏": "JS",
    "浙江": "ZJ",
    "安徽": "AH",
    "福建": "FJ",
    "江西": "JX",
    "山东": "SD",
    "河南": "HA",
    "湖北": "HB",
    "湖南": "HN",
    "广东": "GD",
    "广西": "GX",
    "海南": "HI",
    "重庆": "CQ",
    "四川": "SC",
    "贵州": "GZ",
    "云南": "YN",
    "西藏": "XZ",
    "陕西": "SN",
    "甘肃": "GS",
    "青海": "QH",
    "宁夏": "NX",
    "新疆": "XJ",
}

_CENC_NAMES = ("中国地震台网中心", "中国地震台网", "国家地震台网", "CENC")

_NUMBER = r"[-+]?\d+(?:\.\d+)?"
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


class QuickReportParseError(ValueError):
    """A part of a quick report could not be read.

    ``part`` is one of "time", "magnitude", "latitude", "longitude", "depth",
    "location"; ``message`` is a Chinese + English sentence fit for a user.
    """

    def __init__(self, part: str, message: str) -> None:
        super().__init__(message)
        self.part = part
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class QuickReport:
    """The parameters read from one quick-report text."""

    origin_time: datetime  # aware, UTC
    latitude: float
    longitude: float
    depth_km: float | None
    magnitude: float
    location_name: str
    magnitude_type: str = "M"
    report_kind: str = "formal"  # "automatic" | "formal"
    source: str = ""  # the network or bureau as written, e.g. "江西省地震台网"
    source_code: str | None = None  # "CENC", "JX", ... or None when unknown
    sender: str = ""  # the 【...】 signature, e.g. "江西省地震局"
    is_approximate: bool = False  # "级左右"
    raw_text: str = field(default="", repr=False)

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the raw text (see :func:`fingerprint`)."""
        return fingerprint(self.raw_text)


# ---------------------------------------------------------------- text helpers


def normalise_text(text: str) -> str:
    """NFKC-normalise (full-width digits and punctuation become ASCII), drop
    zero-width characters and collapse every run of whitespace to one space.
    """
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    return re.sub(r"\s+", " ", text).strip()


def fingerprint(text: str) -> str:
    """A stable hash (SHA-256 hex) of the normalised text with all whitespace
    removed, so the same report sent twice, re-wrapped or with full-width
    punctuation, gets the same fingerprint.
    """
    compact = re.sub(r"\s+", "", normalise_text(text))
    return hashlib.sha256(compact.encode("utf-8")).hexdigest()


def source_code_for(name: str) -> str | None:
    """Guess the agency code from a network or bureau name: "CENC" for the
    national network, a province code (``PROVINCE_CODES``) when the name
    starts with a province, else None.
    """
    name = name.strip()
    if not name:
        return None
    if any(cenc in name for cenc in _CENC_NAMES):
        return "CENC"
    for province in sorted(PROVINCE_CODES, key=len, reverse=True):
        if name.startswith(province):
            return PROVINCE_CODES[province]
    return None


def _excerpt(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(part: str, chinese: str, english: str, text: str) -> QuickReportParseError:
    return QuickReportParseError(part, f"{chinese} / {english} in '{_excerpt(text)}'")


# ---------------------------------------------------------------- patterns

_SENDER_RE = re.compile(r"【\s*([^】]+?)\s*】")
_AGENCY_RE = re.compile(r"(?:据\s*)?(?P<agency>[\u4e00-\u9fffA-Za-z]+?)\s*(?P<kind>自动|正式)?\s*测定")
_TIME_RE = re.compile(
    r"""
    (?:
        (?:(?P<year>\d{4})\s*年\s*)?
        (?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日
      |
        (?P<iyear>\d{4})\s*[-/.]\s*(?P<imonth>\d{1,2})\s*[-/.]\s*(?P<iday>\d{1,2})
    )
    \s*(?:T|北京时间)?\s*
    (?:
        (?P<hour>\d{1,2})\s*[时點点]\s*(?P<minute>\d{1,2})\s*分
        (?:\s*(?P<second>\d{1,2}(?:\.\d+)?)\s*秒)?
      |
        (?P<chour>\d{1,2}):(?P<cminute>\d{2})(?::(?P<csecond>\d{2}(?:\.\d+)?))?
    )
    """,
    re.VERBOSE,
)
_LOCATION_RE = re.compile(
    r"^[\s,]*(?:北京时间)?[\s,]*(?:在\s*)?"
    r"(?P<loc>[^()\[\],;在\s][^()\[\],;]*?)\s*(?=\(|\[|,|发生|$)"
)
_LAT_HEMI_RE = re.compile(rf"(?P<hemi>北纬|南纬)\s*:?\s*(?P<value>{_NUMBER})")
_LON_HEMI_RE = re.compile(rf"(?P<hemi>东经|西经)\s*:?\s*(?P<value>{_NUMBER})")
_LAT_LABEL_RE = re.compile(rf"纬度\s*[:=]?\s*(?P<value>{_NUMBER})\s*(?:度|°)?\s*(?P<hemi>[NS])?")
_LON_LABEL_RE = re.compile(rf"经度\s*[:=]?\s*(?P<value>{_NUMBER})\s*(?:度|°)?\s*(?P<hemi>[EW])?")
_LAT_SUFFIX_RE = re.compile(rf"(?P<value>{_NUMBER})\s*°\s*(?P<hemi>[NS])(?![A-Za-z])")
_LON_SUFFIX_RE = re.compile(rf"(?P<value>{_NUMBER})\s*°\s*(?P<hemi>[EW])(?![A-Za-z])")
_MAG_RE = re.compile(
    rf"""
    (?:(?P<type>(?<![A-Za-z])[Mm][A-Za-z]{{0,3}})\s*=?\s*(?P<tvalue>{_NUMBER})\s*(?:级)?
      | (?P<value>{_NUMBER})\s*级)
    \s*(?P<approx>左右)?
    """,
    re.VERBOSE,
)
_MAG_LABEL_RE = re.compile(
    rf"震级\s*[:=]?\s*(?P<type>[Mm][A-Za-z]{{0,3}})?\s*(?P<value>{_NUMBER})\s*(?:级)?"
    r"\s*(?P<approx>左右)?"
)
_DEPTH_LABEL_RE = re.compile(r"(?:震源)?深度\s*[:=为约]?\s*")
_DEPTH_VALUE_RE = re.compile(rf"(?P<value>{_NUMBER})\s*(?P<unit>千米|公里|km|米|m)?", re.IGNORECASE)

_MAG_TYPES = {
    "m": "M",
    "ml": "ML",
    "ms": "Ms",
    "msbb": "Ms_BB",
    "mw": "Mw",
    "mww": "Mww",
    "mb": "mb",
    "mbb": "mB",
    "md": "Md",
    "mc": "Mc",
}


#: Lower-case magnitude types -> their canonical spelling (normalise_magnitude_type).
MAGNITUDE_TYPE_SPELLINGS = _MAG_TYPES


def normalise_magnitude_type(raw: str) -> str:
    """Canonical spelling of a magnitude type: "ML", "Ms", "Mw", "mb", "M"...

    The case of "mb" (short-period body wave) versus "mB" (broadband) is
    kept as written; anything unknown is returned as written.
    """
    raw = raw.strip()
    if raw in ("mb", "mB"):
        return raw
    return _MAG_TYPES.get(raw.lower(), raw)


# ---------------------------------------------------------------- parts


def _parse_source(text: str) -> tuple[str, str | None, str, str]:
    """Return (source, source_code, sender, report_kind)."""
    sender_match = _SENDER_RE.search(text)
    sender = sender_match.group(1) if sender_match else ""
    body = _SENDER_RE.sub(" ", text)
    agency_match = _AGENCY_RE.search(body)
    source = ""
    kind = "formal"
    if agency_match:
        source = agency_match.group("agency")
        if agency_match.group("kind") == "自动":
            kind = "automatic"
    if not source:
        source = sender
    code = source_code_for(source) or source_code_for(sender)
    return source, code, sender, kind


def _parse_time(text: str, received_at: datetime) -> tuple[datetime, re.Match[str]]:
    match = _TIME_RE.search(text)
    if match is None:
        raise _fail("time", "无法识别发震时间", "could not read the origin time", text)
    g = match.groupdict()
    year = g["year"] or g["iyear"]
    month = int(g["month"] or g["imonth"])
    day = int(g["day"] or g["iday"])
    hour = int(g["hour"] or g["chour"])
    minute = int(g["minute"] or g["cminute"])
    second_text = g["second"] or g["csecond"] or "0"
    second = float(second_text)
    whole = int(second)
    micro = round((second - whole) * 1_000_000)
    received_local = received_at.astimezone(BEIJING)

    def build(y: int) -> datetime:
        return datetime(y, month, day, hour, minute, whole, micro, tzinfo=BEIJING)

    try:
        if year is not None:
            local = build(int(year))
        else:
            try:
                local = build(received_local.year)
            except ValueError:  # 29 February outside a leap year
                local = build(received_local.year - 1)
            if local - received_local > YEAR_ROLLBACK_AFTER:
                local = build(received_local.year - 1)
        origin = local.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 in Beijing is year 0 in UTC
        raise _fail(
            "time",
            f"发震时间不是有效的日期时间({match.group(0).strip()})",
            "the origin time is not a valid date and time",
            text,
        ) from None
    _check_origin_near_receipt(origin, received_at, match.group(0).strip(), text)
    return origin, match


def _check_origin_near_receipt(origin: datetime, received_at: datetime, written: str, text: str) -> None:
    """Between 30 days before the receipt and one hour after it (a year 9999 or 0001 is a typo)."""
    if origin - received_at > ORIGIN_AFTER_RECEIPT_MAX:
        raise _fail(
            "time",
            f"发震时间({written})晚于接收时间超过1小时",
            "the origin time is more than one hour after the message was received",
            text,
        )
    if received_at - origin > ORIGIN_BEFORE_RECEIPT_MAX:
        raise _fail(
            "time",
            f"发震时间({written})早于接收时间超过30天",
            "the origin time is more than 30 days before the message was received",
            text,
        )


def _parse_location(text: str, after: int) -> tuple[str, int]:
    rest = text[after:]
    match = _LOCATION_RE.search(rest)
    if match is None or not match.group("loc").strip():
        raise _fail(
            "location",
            "无法识别震中地名(应为“在……发生”)",
            "could not read the place name (expected '在 <place> 发生')",
            text,
        )
    return match.group("loc").strip(), after + match.end()


def _coordinate(
    text: str,
    *,
    part: str,
    hemi_re: re.Pattern[str],
    label_re: re.Pattern[str],
    suffix_re: re.Pattern[str],
    negative: tuple[str, ...],
    limit: float,
) -> float:
    names = {
        "latitude": ("震中纬度", "epicentre latitude"),
        "longitude": ("震中经度", "epicentre longitude"),
    }
    chinese, english = names[part]
    for pattern in (hemi_re, label_re, suffix_re):
        match = pattern.search(text)
        if match is None:
            continue
        value = float(match.group("value"))
        hemi = match.group("hemi")
        if hemi in negative:
            value = -abs(value)
        if not -limit <= value <= limit:
            raise QuickReportParseError(
                part,
                f"{chinese} {value:g} 超出范围 -{limit:g}..{limit:g} / "
                f"{english} {value:g} is out of range -{limit:g}..{limit:g} "
                f"in '{_excerpt(text)}'",
            )
        return value
    raise _fail(part, f"无法识别{chinese}", f"could not read the {english}", text)


def _parse_magnitude(text: str, after: int) -> tuple[float, str, bool]:
    rest = text[after:]
    happened = rest.find("发生")
    search_from = rest[happened:] if happened >= 0 else rest
    match = _MAG_LABEL_RE.search(text) or _MAG_RE.search(search_from)
    if match is None:
        raise _fail("magnitude", "无法识别震级", "could not read the magnitude", text)
    groups = match.groupdict()
    value = float(groups.get("tvalue") or groups["value"])
    mag_type = normalise_magnitude_type(groups["type"]) if groups.get("type") else "M"
    approximate = bool(groups.get("approx")) or "级左右" in text
    if not -2.0 <= value <= 10.0:
        raise QuickReportParseError(
            "magnitude",
            f"震级 {value:g} 超出范围 -2..10 / magnitude {value:g} is out of range "
            f"-2..10 in '{_excerpt(text)}'",
        )
    return value, mag_type, approximate


def _parse_depth(text: str) -> float | None:
    label = _DEPTH_LABEL_RE.search(text)
    if label is None:
        return None
    match = _DEPTH_VALUE_RE.match(text, label.end())
    if match is None:
        raise _fail("depth", "无法识别震源深度", "could not read the focal depth", text)
    value = float(match.group("value"))
    unit = (match.group("unit") or "km").lower()
    if unit in ("米", "m"):
        value /= 1000.0
    if not 0.0 <= value <= 800.0:
        raise QuickReportParseError(
            "depth",
            f"震源深度 {value:g} 千米超出范围 0..800 / focal depth {value:g} km is out "
            f"of range 0..800 in '{_excerpt(text)}'",
        )
    return value


# ---------------------------------------------------------------- entry point


def parse_quick_report(text: str, *, received_at: datetime) -> QuickReport:
    """Parse one quick-report SMS.

    ``received_at`` (timezone-aware) supplies the year when the text leaves
    it out: the year of receipt in Beijing time, or the year before when that
    would put the quake more than two days after the receipt (New Year). The
    origin time must then lie between 30 days before the receipt and one hour
    after it (``ORIGIN_BEFORE_RECEIPT_MAX``, ``ORIGIN_AFTER_RECEIPT_MAX``).

    Raises QuickReportParseError naming the part that could not be read, and
    ValueError when ``received_at`` is naive.
    """
    if received_at.tzinfo is None or received_at.utcoffset() is None:
        raise ValueError("received_at must be timezone-aware")
    normalised = normalise_text(text)
    if not normalised:
        raise _fail("time", "短信内容为空", "the message is empty", text)

    source, source_code, sender, kind = _parse_source(normalised)
    origin_time, time_match = _parse_time(normalised, received_at)
    location, location_end = _parse_location(normalised, time_match.end())
    latitude = _coordinate(
        normalised,
        part="latitude",
        hemi_re=_LAT_HEMI_RE,
        label_re=_LAT_LABEL_RE,
        suffix_re=_LAT_SUFFIX_RE,
        negative=("南纬", "S"),
        limit=90.0,
    )
    longitude = _coordinate(
        normalised,
        part="longitude",
        hemi_re=_LON_HEMI_RE,
        label_re=_LON_LABEL_RE,
        suffix_re=_LON_SUFFIX_RE,
        negative=("西经", "W"),
        limit=180.0,
    )
    magnitude, magnitude_type, approximate = _parse_magnitude(normalised, location_end)
    depth_km = _parse_depth(normalised)
    return QuickReport(
        origin_time=origin_time,
        latitude=latitude,
        longitude=longitude,
        depth_km=depth_km,
        magnitude=magnitude,
        magnitude_type=magnitude_type,
        location_name=location,
        report_kind=kind,
        source=source,
        source_code=source_code,
        sender=sender,
        is_approximate=approximate,
        raw_text=text,
    )
