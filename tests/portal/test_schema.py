"""The OpenAPI schema tells the truth: filters, pagination, error bodies and status codes
(portal.schema.PortalAutoSchema), and every /api/ error is JSON."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", *UNSAFE):
                yield path, method, operation


def _query_names(operation):
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def _resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref")
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else ref_or_schema


@pytest.mark.parametrize(
    ("path", "filters"),
    [
        ("/api/v1/events/", {"q", "starttime", "endtime", "minmagnitude", "minlatitude", "maxradius"}),
        ("/api/v1/anomalies/", {"state", "discipline", "open"}),
        ("/api/v1/zero-reports/", {"unit", "discipline", "start", "end", "status"}),
        ("/api/v1/zero-reports/matrix/", {"start", "end", "discipline"}),
        ("/api/v1/reporting-units/", {"mine", "discipline"}),
        ("/api/v1/products/", {"status", "method"}),
        ("/api/v1/topic-reports/", {"event"}),
        ("/api/v1/quick-reports/", {"status"}),
        ("/api/v1/notifications/", {"unread"}),
        ("/api/v1/consultations/meetings/", {"kind", "start", "end", "q"}),
        ("/api/v1/consultations/reports/", {"status", "q"}),
    ],
)
def test_list_filters_are_documented(schema, path, filters):
    assert filters <= _query_names(schema["paths"][path]["get"])


def test_enumerated_filters_say_their_values(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/anomalies/"]["get"]["parameters"]}
    assert "verifying" in _resolve(schema, parameters["state"]["schema"])["enum"]


# Lists whose contract is a plain array, bounded by their parameters rather than paged.
PLAIN_LISTS = {
    # issue 12: a channel's QC days "→ [{date, availability, …}]", at most 400 days a request
    "/api/v1/series/qc/",
    # issue 14: the node types "→ [{type, title, inputs, outputs, params_schema}]", a fixed list
    "/api/v1/flow-nodes/",
}


def test_paginated_lists_are_documented_as_the_envelope_with_page_and_page_size(schema):
    lists = 0
    for path, method, operation in _operations(schema):
        ok = operation["responses"].get("200", {}).get("content", {}).get("application/json")
        if method != "get" or ok is None:
            continue
        body = _resolve(schema, ok["schema"])
        if path in PLAIN_LISTS:
            assert body.get("type") == "array", path
            continue
        assert body.get("type") != "array", f"{path}: a list the API pages is documented as a plain array"
        if "results" in body.get("properties", {}) and "count" in body["properties"]:
            lists += 1
            assert {"page", "page_size"} <= _query_names(operation), path
            assert set(body["required"]) >= {"count", "results"}
            assert body["properties"]["results"]["type"] == "array"
    assert lists >= 14


def test_every_operation_documents_the_portal_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    assert set(error["properties"]) == {"detail", "errors"}
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"400", "404"} | ({"409"} if method in UNSAFE else set())
        if path != "/api/v1/auth/token/":
            expected |= {"401"}
        if path not in ("/api/v1/auth/token/", "/api/v1/events/", "/api/v1/events/{public_id}/"):
            expected |= {"403"}
        assert expected <= set(responses), f"{method.upper()} {path}: {sorted(responses)}"
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


def test_created_is_documented_as_201(schema):
    for path in ("/api/v1/consultations/meetings/", "/api/v1/bureaus/", "/api/v1/users/"):
        assert "201" in schema["paths"][path]["post"]["responses"], path


def test_no_time_of_day_claims_rfc3339_full_time(schema):
    """``deadline_time`` is "10:00:00", Beijing wall-clock time: not an RFC 3339 time (no offset)."""
    unit = schema["components"]["schemas"]["ReportingUnitOutput"]["properties"]["deadline_time"]
    assert "format" not in unit
    assert unit["pattern"].startswith("^")
    assert '"format": "time"' not in str(schema).replace("'", '"')


def test_an_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_a_method_the_api_does_not_offer_is_a_json_405(api, jx_forecaster):
    response = api(jx_forecaster).delete("/api/v1/events/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert "DELETE" in response.json()["detail"]
