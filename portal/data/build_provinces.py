"""Build the offline province boundary files from ECharts' china.json.

Usage (from the repository root):

    .venv/bin/python portal/data/build_provinces.py /path/to/package/map/json/china.json

Source: npm package ``echarts@4.9.0``, file ``map/json/china.json``
(Apache License 2.0, copyright The Apache Software Foundation). See README.md
beside this file.

Writes, beside this script:

* ``china_provinces.geojson``: the 31 provincial-level units that have an
  earthquake bureau, one MultiPolygon each, properties ``code`` (bureau code),
  ``name_zh``, ``name_en``, ``adcode``.
* ``china_other_regions.geojson``: Taiwan, Hong Kong and Macao (TW, HK, MO),
  for the basemap only.

Steps: decode ECharts' compressed coordinates (a port of ``decodePolygon`` in
echarts 4's ``src/coord/geo/parseGeoJson.js``), round to 4 decimals, drop
repeated vertices and degenerate rings, close rings, repair self-intersections
with ``ogr2ogr -makevalid`` (GDAL, if installed), fill the sliver holes that
repair leaves (the source has no holes), orient rings as RFC 7946
asks (exteriors counter-clockwise, holes clockwise) and write one feature per
line. Standard library only; GDAL's ``ogr2ogr`` and shapely are optional
(repair and an extra validity report).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRECISION = 4
# china.json has no holes; repairing a ring that crosses itself can leave
# small triangles as holes. Holes under this area (square degrees) are filled.
SLIVER_HOLE_AREA = 0.01
# Repair splits a ring that crosses itself into parts; parts under this area
# (square degrees, about 0.01 km2) are dropped.
MIN_PART_AREA = 1e-6

# adcode (GB/T 2260) -> (code, name_zh, name_en, echarts short name)
PROVINCES = {
    "110000": ("BJ", "北京市", "Beijing", "北京"),
    "120000": ("TJ", "天津市", "Tianjin", "天津"),
    "130000": ("HE", "河北省", "Hebei", "河北"),
    "140000": ("SX", "山西省", "Shanxi", "山西"),
    "150000": ("NM", "内蒙古自治区", "Inner Mongolia", "内蒙古"),
    "210000": ("LN", "辽宁省", "Liaoning", "辽宁"),
    "220000": ("JL", "吉林省", "Jilin", "吉林"),
    "230000": ("HL", "黑龙江省", "Heilongjiang", "黑龙江"),
    "310000": ("SH", "上海市", "Shanghai", "上海"),
    "320000": ("JS", "江苏省", "Jiangsu", "江苏"),
    "330000": ("ZJ", "浙江省", "Zhejiang", "浙江"),
    "340000": ("AH", "安徽省", "Anhui", "安徽"),
    "350000": ("FJ", "福建省", "Fujian", "福建"),
    "360000": ("JX", "江西省", "Jiangxi", "江西"),
    "370000": ("SD", "山东省", "Shandong", "山东"),
    "410000": ("HA", "河南省", "Henan", "河南"),
    "420000": ("HB", "湖北省", "Hubei", "湖北"),
    "430000": ("HN", "湖南省", "Hunan", "湖南"),
    "440000": ("GD", "广东省", "Guangdong", "广东"),
    "450000": ("GX", "广西壮族自治区", "Guangxi", "广西"),
    "460000": ("HI", "海南省", "Hainan", "海南"),
    "500000": ("CQ", "重庆市", "Chongqing", "重庆"),
    "510000": ("SC", "四川省", "Sichuan", "四川"),
    "520000": ("GZ", "贵州省", "Guizhou", "贵州"),
    "530000": ("YN", "云南省", "Yunnan", "云南"),
    "540000": ("XZ", "西藏自治区", "Tibet (Xizang)", "西藏"),
    "610000": ("SN", "陕西省", "Shaanxi", "陕西"),
    "620000": ("GS", "甘肃省", "Gansu", "甘肃"),
    "630000": ("QH", "青海省", "Qinghai", "青海"),
    "640000": ("NX", "宁夏回族自治区", "Ningxia", "宁夏"),
    "650000": ("XJ", "新疆维吾尔自治区", "Xinjiang", "新疆"),
}
OTHER_REGIONS = {
    "710000": ("TW", "台湾省", "Taiwan", "台湾"),
    "810000": ("HK", "香港特别行政区", "Hong Kong", "香港"),
    "820000": ("MO", "澳门特别行政区", "Macao", "澳门"),
}


# --- decoding: port of echarts 4 src/coord/geo/parseGeoJson.js -------------


def decode_polygon(coordinate: str, encode_offsets, encode_scale: float):
    """Decode one ring (``decodePolygon`` in parseGeoJson.js)."""
    result = []
    prev_x, prev_y = encode_offsets[0], encode_offsets[1]
    for i in range(0, len(coordinate), 2):
        # charCodeAt gives UTF-16 code units; every code in china.json is in
        # the BMP (checked in decode()), where ord() is the same.
        x = ord(coordinate[i]) - 64
        y = ord(coordinate[i + 1]) - 64
        # ZigZag decoding
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        # Delta decoding
        x += prev_x
        y += prev_y
        prev_x, prev_y = x, y
        # Dequantize
        result.append([x / encode_scale, y / encode_scale])
    return result


def decode(data: dict) -> dict:
    """Decode a GeoJSON in ECharts' UTF8 encoding in place (``decode``)."""
    if not data.get("UTF8Encoding"):
        return data
    encode_scale = data.get("UTF8Scale")
    if encode_scale is None:
        encode_scale = 1024
    for feature in data["features"]:
        geometry = feature["geometry"]
        coordinates = geometry["coordinates"]
        encode_offsets = geometry["encodeOffsets"]
        for c, coordinate in enumerate(coordinates):
            if geometry["type"] == "Polygon":
                _check_bmp(coordinate)
                coordinates[c] = decode_polygon(coordinate, encode_offsets[c], encode_scale)
            elif geometry["type"] == "MultiPolygon":
                for c2, polygon in enumerate(coordinate):
                    _check_bmp(polygon)
                    coordinate[c2] = decode_polygon(polygon, encode_offsets[c][c2], encode_scale)
        del geometry["encodeOffsets"]
    data["UTF8Encoding"] = False
    return data


def _check_bmp(ring: str) -> None:
    if any(ord(ch) > 0xFFFF for ch in ring) or len(ring) % 2:
        raise ValueError("unexpected encoded ring (astral character or odd length)")


# --- cleaning ---------------------------------------------------------------


def signed_area(ring) -> float:
    """Shoelace area; positive when counter-clockwise (lon east, lat north)."""
    s = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        s += x1 * y2 - x2 * y1
    return s / 2.0


def clean_ring(ring):
    """Round, drop repeated vertices, close; None if degenerate."""
    out = []
    for x, y in ring:
        p = [round(x, PRECISION), round(y, PRECISION)]
        if not out or p != out[-1]:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len(out) < 3:
        return None
    out.append(list(out[0]))
    if signed_area(out) == 0:
        return None
    return out


def as_multipolygon(geometry) -> list:
    """Polygon or MultiPolygon coordinates -> list of polygons (rings)."""
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    if geometry["type"] == "GeometryCollection":
        polys = []
        for g in geometry["geometries"]:
            if g["type"] in ("Polygon", "MultiPolygon"):
                polys.extend(as_multipolygon(g))
        return polys
    return []


def clean_multipolygon(polygons, stats, fill_slivers=False) -> list:
    result = []
    for polygon in polygons:
        rings = []
        for i, ring in enumerate(polygon):
            if i > 0 and fill_slivers and abs(signed_area(ring)) < SLIVER_HOLE_AREA:
                stats["filled_holes"] += 1
                continue
            if ring and ring[0] != ring[-1]:
                stats["unclosed"] += 1
            cleaned = clean_ring(ring)
            if cleaned is None:
                stats["dropped_rings"] += 1
                if i == 0:  # exterior gone: drop the whole polygon
                    rings = []
                    break
                continue
            if i == 0 and fill_slivers and abs(signed_area(cleaned)) < MIN_PART_AREA:
                stats["dropped_rings"] += 1
                break
            # RFC 7946: exterior counter-clockwise, holes clockwise.
            ccw = signed_area(cleaned) > 0
            if (i == 0) != ccw:
                cleaned.reverse()
                stats["reoriented"] += 1
            rings.append(cleaned)
        if rings:
            result.append(rings)
    return result


# --- repair with GDAL -------------------------------------------------------


def make_valid_with_ogr(features: list) -> list | None:
    """Run ``ogr2ogr -makevalid`` over the features; None if GDAL is absent."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.geojson"
        dst = Path(tmp) / "out.geojson"
        src.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}),
            encoding="utf-8",
        )
        subprocess.run(  # noqa: S603 - ogr2ogr found by shutil.which, fixed arguments, our own temp files
            [
                ogr2ogr,
                "-f",
                "GeoJSON",
                "-makevalid",
                "-nlt",
                "MULTIPOLYGON",
                "-lco",
                f"COORDINATE_PRECISION={PRECISION}",
                str(dst),
                str(src),
            ],
            check=True,
        )
        repaired = json.loads(dst.read_text(encoding="utf-8"))["features"]
    if len(repaired) != len(features):
        raise RuntimeError("ogr2ogr changed the number of features")
    return repaired


# --- output -----------------------------------------------------------------


def write_collection(path: Path, features: list) -> None:
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def bbox(polygons):
    xs = [p[0] for poly in polygons for ring in poly for p in ring]
    ys = [p[1] for poly in polygons for ring in poly for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def shapely_report(features: list) -> None:
    try:
        from shapely.geometry import shape
    except ImportError:
        print("shapely not importable: skipped the extra validity report")
        return
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    invalid = [c for c, g in geoms.items() if not g.is_valid]
    print(f"shapely: invalid geometries: {invalid or 'none'}")
    codes = sorted(geoms)
    overlaps = []
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            if geoms[a].intersects(geoms[b]):
                area = geoms[a].intersection(geoms[b]).area
                if area > 1e-6:
                    overlaps.append((a, b, area))
    overlaps.sort(key=lambda t: -t[2])
    print(
        f"shapely: {len(overlaps)} pairs of neighbours overlap by more than "
        f"1e-6 sq deg, largest: " + ", ".join(f"{a}/{b} {area:.4f}" for a, b, area in overlaps[:5])
    )


def build(source: Path, out_dir: Path) -> int:
    data = decode(json.loads(source.read_text(encoding="utf-8")))
    table = {**PROVINCES, **OTHER_REGIONS}
    seen = set()
    features = []
    stats = {"unclosed": 0, "dropped_rings": 0, "reoriented": 0, "filled_holes": 0}
    for feature in data["features"]:
        props = feature["properties"]
        adcode = str(props.get("id") or feature.get("id"))
        if adcode not in table:
            print(f"skipped unknown feature {adcode} {props.get('name')}")
            continue
        code, name_zh, name_en, short = table[adcode]
        if props.get("name") != short:
            raise ValueError(f"{adcode}: name {props.get('name')!r} != {short!r}")
        seen.add(adcode)
        polygons = clean_multipolygon(as_multipolygon(feature["geometry"]), stats)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "adcode": adcode,
                },
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        )
    missing = set(table) - seen
    if missing:
        raise ValueError(f"missing features: {sorted(missing)}")
    print(
        "decoded and cleaned: {unclosed} unclosed rings closed, {dropped_rings} "
        "degenerate rings dropped, {reoriented} rings reoriented".format(**stats)
    )

    repaired = make_valid_with_ogr(features)
    if repaired is None:
        print("ogr2ogr not found: self-intersections left unrepaired")
    else:
        print("repaired with ogr2ogr -makevalid")
        stats = {"unclosed": 0, "dropped_rings": 0, "reoriented": 0, "filled_holes": 0}
        for feature, fixed in zip(features, repaired, strict=False):
            if fixed["properties"]["code"] != feature["properties"]["code"]:
                raise RuntimeError("ogr2ogr reordered the features")
            polygons = as_multipolygon(fixed["geometry"])
            feature["geometry"]["coordinates"] = clean_multipolygon(polygons, stats, fill_slivers=True)
        print(
            "after repair: {dropped_rings} degenerate rings dropped, "
            "{filled_holes} sliver holes filled, "
            "{reoriented} rings reoriented".format(**stats)
        )

    features.sort(key=lambda f: f["properties"]["adcode"])
    provinces = [f for f in features if f["properties"]["adcode"] in PROVINCES]
    others = [f for f in features if f["properties"]["adcode"] in OTHER_REGIONS]

    print(f"{'code':4} {'name':8} {'polys':>5} {'rings':>5} {'verts':>6}  bbox")
    for f in features:
        polys = f["geometry"]["coordinates"]
        rings = sum(len(p) for p in polys)
        verts = sum(len(r) for p in polys for r in p)
        x0, y0, x1, y1 = bbox(polys)
        print(
            f"{f['properties']['code']:4} {f['properties']['name_en'][:8]:8} "
            f"{len(polys):5} {rings:5} {verts:6}  "
            f"{x0:.4f} {y0:.4f} {x1:.4f} {y1:.4f}"
        )
    shapely_report(features)

    for name, subset in (
        ("china_provinces.geojson", provinces),
        ("china_other_regions.geojson", others),
    ):
        path = out_dir / name
        write_collection(path, subset)
        print(f"wrote {path}: {len(subset)} features, {path.stat().st_size} bytes")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("china_json", type=Path, help="echarts map/json/china.json")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args(argv)
    return build(args.china_json, args.out_dir)


if __name__ == "__main__":
    sys.exit(main())
