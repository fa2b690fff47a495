"""The observation items (测项) as reference data, with their units and disciplines.

Idempotent (``update_or_create`` on the code): running it again, or after the demo,
changes nothing. The list is copied here (migrations copy constants) and mirrored in
``observations/items.py``.

Where the codes come from: no published list of the CEA precursor item codes (the
测项分量代码 of the 前兆台网 data exchange, or a DB/T item-classification table) was found
in the reference material searched on 2026-12-01 (queries "地震前兆 测项代码",
"DB/T 地震前兆数据库 测项分类代码", "前兆台网 测项分量代码"), so the codes are the
portal's own, mnemonic and stable, and each row says so in ``source``
("portal: ..."). When the CEA list is obtained, a later migration adds its code beside ours.
"""

from django.db import migrations

SOURCE = "portal: own code, no published CEA item-code list found (2026-12)"

# (code, name_zh, name_en, discipline code, unit, auxiliary)
ITEMS = [
    ("WL", "水位", "water level", "fluid", "m", False),
    ("WT", "水温", "water temperature", "fluid", "°C", False),
    ("RN_W", "水氡", "radon in water", "fluid", "Bq/L", False),
    ("RN_G", "气氡", "radon in gas", "fluid", "Bq/L", False),
    ("HG_W", "水汞", "mercury in water", "fluid", "ng/L", False),
    ("HG_G", "气汞", "mercury in gas", "fluid", "ng/m³", False),
    ("PRES", "气压", "air pressure (auxiliary)", "fluid", "hPa", True),
    ("RAIN", "降雨量", "rainfall (auxiliary)", "fluid", "mm", True),
    ("GM_H", "地磁水平分量H", "geomagnetic H", "electromagnetism", "nT", False),
    ("GM_D", "地磁偏角D", "geomagnetic declination D", "electromagnetism", "′", False),
    ("GM_Z", "地磁垂直分量Z", "geomagnetic Z", "electromagnetism", "nT", False),
    ("GM_F", "地磁总强度F", "geomagnetic total field F", "electromagnetism", "nT", False),
    ("GM_X", "地磁北向分量X", "geomagnetic X (north)", "electromagnetism", "nT", False),
    ("GM_Y", "地磁东向分量Y", "geomagnetic Y (east)", "electromagnetism", "nT", False),
    ("GE_RHO", "地电阻率", "geoelectric resistivity", "electromagnetism", "Ω·m", False),
    ("GE_E", "地电场", "geoelectric field", "electromagnetism", "mV/km", False),
    ("TILT_NS", "倾斜南北分量", "tilt north-south", "deformation", "ms", False),
    ("TILT_EW", "倾斜东西分量", "tilt east-west", "deformation", "ms", False),
    ("STRAIN_L", "线应变", "line strain", "deformation", "10⁻¹⁰", False),
    ("STRAIN_B", "体应变", "body (volume) strain", "deformation", "10⁻¹⁰", False),
    ("GRAV", "重力", "gravity", "deformation", "μGal", False),
]
DISCIPLINES = {
    "seismology": ("测震", "Seismology", 0),
    "fluid": ("流体", "Fluids", 2),
    "deformation": ("形变", "Deformation", 1),
    "electromagnetism": ("电磁", "Electromagnetism", 3),
}


def load_items(apps, schema_editor):
    Discipline = apps.get_model("portal", "Discipline")
    ObservationItem = apps.get_model("observations", "ObservationItem")
    disciplines = {}
    for code, (name_zh, name_en, order) in DISCIPLINES.items():
        # the disciplines are reference data of the portal; made here when a fresh database
        # has none yet (portal.demo.load_disciplines updates the same rows by code)
        discipline, _ = Discipline.objects.get_or_create(
            code=code, defaults={"name_zh": name_zh, "name_en": name_en, "order": order}
        )
        disciplines[code] = discipline
    for order, (code, name_zh, name_en, discipline, unit, auxiliary) in enumerate(ITEMS):
        ObservationItem.objects.update_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "discipline": disciplines[discipline],
                "unit": unit,
                "is_auxiliary": auxiliary,
                "source": SOURCE,
                "order": order,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("observations", "0002_master_data_changes"),
        ("portal", "0006_reportview_covering_index"),
    ]

    operations = [migrations.RunPython(load_items, migrations.RunPython.noop)]
