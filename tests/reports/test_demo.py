"""The demo seed: idempotent, gives JX and NM layers and a ready report each."""

from __future__ import annotations

import io

import pytest

from reports import demo
from reports.models import GisLayer, TopicReport
from reports.services import towns as town_services

from .conftest import rows_in

pytestmark = pytest.mark.django_db


def test_seed_twice_gives_the_same_layers_and_one_report_per_bureau(jx, nm, jx_admin, nm_admin):
    # towns around the two demo epicentres (Jiujiang and Ar Horqin Banner)
    town_services.towns_load(rows=rows_in(115.0, 29.2, 116.4, 30.2) + rows_in(120.0, 43.6, 121.5, 44.6))
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    assert sorted(GisLayer.objects.filter(bureau=jx).values_list("kind", flat=True)) == [
        "fault",
        "hospital",
        "reservoir",
        "school",
    ]
    assert list(TopicReport.objects.values_list("bureau__code", "status").order_by("bureau__code")) == [
        ("JX", "ready"),
        ("NM", "ready"),
    ]
    jx_report = TopicReport.objects.get(bureau=jx)
    assert jx_report.context["event"]["magnitude"] == 5.7
    assert {layer["kind"] for layer in jx_report.context["layers"] if layer["count"]} >= {"school", "fault"}
    assert not jx_report.pushes.exists()
