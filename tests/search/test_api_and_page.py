"""The search API's shape and its 400s; the page for every role."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_api_answers_the_documented_shape(corpus, jx_forecaster, api):
    answer = api(jx_forecaster).get("/api/v1/search/", {"q": "九江 水位"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert {"kind", "id", "title", "snippet", "url", "score"} <= set(first)
    assert (first["kind"], first["id"]) == ("anomaly", corpus["jiujiang_level"].pk)
    assert first["url"] == f"/disciplines/anomalies/{corpus['jiujiang_level'].pk}/"
    assert first["score"] > body["results"][1]["score"]


def test_the_api_filters_and_pages(corpus, jx_forecaster, api):
    client = api(jx_forecaster)
    body = client.get("/api/v1/search/", {"q": "月报", "kind": "trend_report", "page_size": 1}).json()
    assert (body["count"], len(body["results"])) == (2, 1)
    assert body["next"]
    body = client.get(
        "/api/v1/search/", {"q": "月报", "from": "1900-01-01", "to": "2199-12-31", "bureau": "JX"}
    ).json()
    assert body["count"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "九" * 201}, "q"),
        ({"q": "，。！"}, "q"),
        ({"q": "水位", "page": "x"}, "page"),
        ({"q": "水位", "page": "0"}, "page"),
        ({"q": "水位", "kind": "spaceship"}, "kind"),
        ({"q": "水位", "from": "2026-13-01"}, "from"),
        ({"q": "水位", "to": "0001-01-01"}, "to"),
        ({"q": "水位", "from": "2026-10-02", "to": "2026-10-01"}, "to"),
        ({"q": "水位", "bureau": "XX"}, "bureau"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(jx_forecaster, api, params, field):
    answer = api(jx_forecaster).get("/api/v1/search/", params)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"], answer.json()


def test_a_nul_byte_is_refused(jx_forecaster, api):
    assert api(jx_forecaster).get("/api/v1/search/?q=%00").status_code == 400


def test_a_personal_token_needs_search_read():
    from portal.models import TokenScope
    from portal.search_apis import SearchApi

    assert SearchApi.token_scope_for("GET") == TokenScope.SEARCH_READ


@pytest.mark.parametrize(
    "who",
    ["jx_forecaster", "jx_viewer", "jx_admin", "jx_reporter", "nm_forecaster", "cenc_forecaster", "sysadmin"],
)
def test_the_page_renders_for_every_role(corpus, client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for params in (
        {"q": "九江 水位"},
        {"q": "月报", "kind": "trend_report"},
        {},
        {"q": "玛多", "from": "2020-01-01"},
    ):
        answer = client.get("/search/", params)
        assert answer.status_code in (200, 403), (who, params)
    home = client.get("/")
    assert b'id="nav-search"' in home.content or who == "sysadmin"


def test_the_page_marks_words_and_escapes_text(corpus, jx_forecaster, client):
    client.force_login(jx_forecaster)
    page = client.get("/search/", {"q": "九江 水位"}).content.decode()
    assert "<mark>九江</mark>" in page
    assert 'data-kind="anomaly"' in page


def test_the_page_says_which_field_is_wrong(jx_forecaster, client):
    client.force_login(jx_forecaster)
    answer = client.get("/search/", {"q": "水位", "kind": "spaceship"})
    assert answer.status_code == 400
    assert 'data-field="kind"' in answer.content.decode()
