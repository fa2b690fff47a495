"""catalog 0004: every saved rule opens post-quake cases, with the thresholds of its bureau's
kind (a province M5.0 within 100 km; a national unit or centre M6.0 in China, M7.0 abroad)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalog", "0003_alert_rule")]
AFTER = [("catalog", "0004_post_quake_thresholds")]


@pytest.fixture
def migrator():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_rules_open_cases_with_the_thresholds_of_their_kind(migrator):
    apps = migrator.loader.project_state(BEFORE).apps
    Bureau = apps.get_model("portal", "Bureau")
    AlertRule = apps.get_model("catalog", "AlertRule")
    for code, kind in (("JX", "provincial"), ("CENC", "national"), ("SMC", "center")):
        bureau = Bureau.objects.create(code=code, name_zh=code, name_en=code, kind=kind)
        AlertRule.objects.create(bureau=bureau, threshold_magnitude=Decimal("4.0"), post_quake_case=False)

    migrator = MigrationExecutor(connection)
    migrator.migrate(AFTER)
    AlertRule = migrator.loader.project_state(AFTER).apps.get_model("catalog", "AlertRule")  # noqa: N806
    rules = {
        r.bureau.code: (
            r.threshold_magnitude,
            r.post_quake_case,
            r.post_quake_min_magnitude,
            r.post_quake_distance_km,
            r.post_quake_min_magnitude_china,
            r.post_quake_min_magnitude_abroad,
        )
        for r in AlertRule.objects.select_related("bureau")
    }
    assert rules == {
        "JX": (Decimal("4.0"), True, Decimal("5.0"), 100.0, None, None),
        "CENC": (Decimal("4.0"), True, None, 0.0, Decimal("6.0"), Decimal("7.0")),
        "SMC": (Decimal("4.0"), True, None, 0.0, Decimal("6.0"), Decimal("7.0")),
    }
