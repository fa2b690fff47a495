"""Numbers, dates and titles out of range are refused where they enter, never a 500.

* ids in URLs use the ``<id:...>`` converter (portal/converters.py): beyond ``bigint``
  the URL does not resolve, so the answer is 404;
* every API input serializer uses portal/fields.py (bounded IntegerField, a
  DateTimeField that refuses years outside UTC 1 to 9999);
* titles follow portal/validators.py (``clean_title``);
* date filters outside the years 1900 to 2199 are a 400 (API) or fall back to the
  default (pages).
"""

from __future__ import annotations

import inspect

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from rest_framework import serializers
from rest_framework.views import APIView

from portal import fields as portal_fields
from portal.converters import BIGINT_MAX, IdConverter, parse_id
from portal.exceptions import InvalidInput
from portal.validators import clean_title
from portal.websocket_urls import websocket_urlpatterns

TOO_BIG = "99999999999999999999"  # 20 digits: more than a bigint holds
HUGE = "9" * 5000  # more digits than int() converts


def _patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


ROUTES = list(_patterns(get_resolver().url_patterns))
ID_ROUTES = [route for route, _p in ROUTES if "<id:" in route]


# --- ids in paths ---------------------------------------------------------------------


def test_no_route_takes_an_unbounded_int():
    routes = [route for route, _p in ROUTES] + [str(p.pattern) for p in websocket_urlpatterns]
    assert [r for r in routes if "<int:" in r] == []


def test_id_converter_refuses_what_a_bigint_cannot_hold():
    converter = IdConverter()
    assert converter.to_python(str(BIGINT_MAX)) == BIGINT_MAX
    with pytest.raises(ValueError, match=str(BIGINT_MAX + 1)):
        converter.to_python(str(BIGINT_MAX + 1))


@pytest.mark.parametrize("route", ID_ROUTES)
def test_a_route_with_an_id_beyond_bigint_does_not_resolve(route):
    import re

    path = "/" + re.sub(r"<id:\w+>", TOO_BIG, route)
    path = re.sub(r"<(?:str|slug):\w+>", "x", path)
    with pytest.raises(Resolver404):
        resolve(path)
    assert resolve("/" + re.sub(r"<(?:str|slug):\w+>", "x", re.sub(r"<id:\w+>", "7", route)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/consultations/meetings/{TOO_BIG}/",
        f"/api/v1/anomalies/{TOO_BIG}/",
        f"/api/v1/products/{TOO_BIG}/",
        f"/api/v1/users/{TOO_BIG}/",
    ],
)
def test_api_answers_404_for_an_id_beyond_bigint(api, jx_forecaster, path):
    assert api(jx_forecaster).get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", [f"/consultations/meetings/{TOO_BIG}/", f"/disciplines/anomalies/{TOO_BIG}/"]
)
def test_pages_answer_404_for_an_id_beyond_bigint(jx_forecaster, path):
    client = Client()
    client.force_login(jx_forecaster)
    assert client.get(path).status_code == 404


def test_parse_id_takes_ids_only():
    assert [parse_id(v) for v in ("7", " 12 ", str(BIGINT_MAX))] == [7, 12, BIGINT_MAX]
    assert [parse_id(v) for v in ("", None, "x", "-1", "١٢", TOO_BIG, HUGE)] == [None] * 7


# --- API input serializers ------------------------------------------------------------


def _input_serializers():
    found = {}
    for _route, pattern in ROUTES:
        view = getattr(pattern.callback, "view_class", None) if isinstance(pattern, URLPattern) else None
        if view is None or not issubclass(view, APIView):
            continue
        for name, member in inspect.getmembers(view, inspect.isclass):
            if issubclass(member, serializers.Serializer) and name.endswith(
                ("InputSerializer", "FilterSerializer")
            ):
                found[f"{view.__module__}.{view.__name__}.{name}"] = member
    return found


def _leaf_fields(serializer):
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListField):
            yield name, field.child
        elif isinstance(field, serializers.Serializer):
            yield from _leaf_fields(field)
        else:
            yield name, field


def test_input_serializers_are_found():
    assert len(_input_serializers()) > 20


@pytest.mark.parametrize(("where", "serializer_class"), sorted(_input_serializers().items()))
def test_every_api_input_uses_the_bounded_fields(where, serializer_class):
    plain = [
        name
        for name, field in _leaf_fields(serializer_class())
        if (isinstance(field, serializers.IntegerField) and field.max_value is None)
        or (
            isinstance(field, serializers.DateTimeField)
            and not isinstance(field, portal_fields.DateTimeField)
        )
    ]
    assert plain == [], where


@pytest.mark.django_db
def test_api_refuses_an_id_list_beyond_bigint(api, jx_forecaster):
    response = api(jx_forecaster).post("/api/v1/notifications/read/", {"ids": [int(TOO_BIG)]}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ids"]


@pytest.mark.django_db
@pytest.mark.parametrize("start", ["0001-01-01T00:00:00", "9999-12-31T23:59:59-12:00"])
def test_api_refuses_a_time_filter_outside_the_utc_years(api, jx_forecaster, start):
    response = api(jx_forecaster).get("/api/v1/consultations/meetings/", {"start": start})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


@pytest.mark.django_db
@pytest.mark.parametrize("unit", [TOO_BIG, HUGE, "x"])
def test_zero_report_filter_refuses_a_unit_that_cannot_be_an_id(api, jx_reporter, unit):
    response = api(jx_reporter).get("/api/v1/zero-reports/", {"unit": unit})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["unit"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("param", "value"), [("start", "0001-01-01"), ("end", "0001-01-01"), ("end", "9999-12-31")]
)
def test_matrix_api_refuses_dates_outside_the_work_years(api, jx_admin, param, value):
    response = api(jx_admin).get("/api/v1/zero-reports/matrix/", {param: value})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [param]


# --- pages with date and number filters -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/disciplines/matrix/", {"end": "0001-01-01"}),
        ("/disciplines/matrix/", {"start": "9999-12-31", "end": "9999-12-31"}),
        ("/disciplines/anomalies/timeline/", {"end": "0001-01-01"}),
        ("/events/", {"start": "0001-01-01"}),
        ("/events/", {"end": "9999-12-31"}),
        ("/consultations/", {"year": "2026", "month": TOO_BIG}),
        ("/consultations/", {"year": "99999", "month": "1"}),
    ],
)
def test_pages_survive_impossible_dates(jx_admin, path, query):
    client = Client()
    client.force_login(jx_admin)
    assert client.get(path, query).status_code == 200


# --- titles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "",
        "  ",
        "0",
        "---",
        "2026",
        "月会商\x00",
        "a\tb",
        "a\nb",
        "a\u202eb",
        "a\u200bb",
        "a\u2028b",
        "a\ue000b",
    ],
)
def test_clean_title_refuses_what_is_not_a_title(title):
    with pytest.raises(InvalidInput) as refused:
        clean_title(title, field="name")
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("  第49周周会商 ", "第49周周会商"),
        ("M5.0 宜春", "M5.0 宜春"),
        ("Weekly 49", "Weekly 49"),
        ("ئۈرۈمچى", "ئۈرۈمچى"),
        ("བོད་", "བོད་"),
    ],
)
def test_clean_title_keeps_real_titles_in_any_script(title, kept):
    assert clean_title(title) == kept


def test_clean_title_refuses_a_title_over_the_length():
    with pytest.raises(InvalidInput):
        clean_title("会" * 201)
    assert clean_title("会" * 200) == "会" * 200


@pytest.mark.django_db
def test_reporting_unit_named_zero_is_refused_and_not_stored(api, jx_admin):
    from disciplines.models import ReportingUnit

    before = ReportingUnit.objects.count()
    response = api(jx_admin).post(
        "/api/v1/reporting-units/",
        {"code": "JX-T1", "name": "0", "discipline": "fluid", "lon": 115.5, "lat": 28.0},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert ReportingUnit.objects.count() == before


@pytest.mark.django_db
def test_gis_layer_named_with_signs_only_is_refused_and_not_stored(api, jx_admin):
    from reports.models import GisLayer

    layer = {"type": "FeatureCollection", "features": []}
    response = api(jx_admin).post(
        "/api/v1/gis-layers/", {"name": "---", "kind": "fault", "geojson": layer}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert GisLayer.objects.count() == 0


@pytest.mark.django_db
def test_product_schedule_named_zero_is_refused(as_actor, jx_forecaster):
    from products.models import ProductSchedule
    from products.services import run_requests as request_services
    from products.services import schedules as schedule_services

    with pytest.raises(request_services.RunRequestInvalid) as refused:
        schedule_services.schedule_create(actor=as_actor(jx_forecaster), name="0", method="bvalue", params={})
    assert set(refused.value.errors) >= {"name"}
    assert ProductSchedule.objects.count() == 0
