"""The thresholds and distances of reports and consultations move into catalog.AlertRule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("catalog", "0003_alert_rule"),
    ("reports", "0001_initial"),
    ("consultations", "0003_discipline_in_portal"),
]
AFTER = [
    ("reports", "0002_alert_rule_owns_threshold"),
    ("consultations", "0004_alert_rule_owns_threshold"),
]


@pytest.fixture
def migrator():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_both_settings_merge_into_one_rule_per_bureau(migrator):
    apps = migrator.loader.project_state(BEFORE).apps
    Bureau = apps.get_model("portal", "Bureau")
    TopicReportSettings = apps.get_model("reports", "TopicReportSettings")
    EmergencySettings = apps.get_model("consultations", "EmergencySettings")

    def bureau(code, kind="provincial"):
        return Bureau.objects.create(code=code, name_zh=code, name_en=code, kind=kind)

    jx, nm, fj, cenc = bureau("JX"), bureau("NM"), bureau("FJ"), bureau("CENC", kind="national")
    # JX: both on, the report from M4.0 within 20 km, the meeting from M3.5 within 60 km
    TopicReportSettings.objects.create(bureau=jx, enabled=True, threshold_magnitude=4.0, distance_km=20)
    EmergencySettings.objects.create(
        bureau=jx, enabled=True, threshold_magnitude=Decimal("3.5"), distance_km=60
    )
    # NM: reports off; its meetings keep the old default (M3.0, inside)
    TopicReportSettings.objects.create(bureau=nm, enabled=False, threshold_magnitude=5.0, distance_km=0)
    # CENC: opted in to reports from M5.0; national units opened no meetings without settings
    TopicReportSettings.objects.create(bureau=cenc, enabled=True, threshold_magnitude=5.0, distance_km=0)

    migrator = MigrationExecutor(connection)
    migrator.migrate(AFTER)
    # The historical model, named like the class it stands for (Django's migration convention)
    AlertRule = migrator.loader.project_state(AFTER).apps.get_model("catalog", "AlertRule")  # noqa: N806
    rules = {
        r.bureau.code: (r.threshold_magnitude, r.distance_km, r.topic_report, r.emergency_meeting)
        for r in AlertRule.objects.select_related("bureau")
    }
    assert rules == {
        "JX": (Decimal("3.5"), 60.0, True, True),
        "NM": (Decimal("3.0"), 0.0, False, True),
        "CENC": (Decimal("5.0"), 0.0, True, False),
    }
    assert fj.pk not in AlertRule.objects.values_list("bureau_id", flat=True)
