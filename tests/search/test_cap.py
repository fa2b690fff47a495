"""A word found in more documents of a kind than the search ranks (``KIND_CAP``): the newest
readable ones are ranked and counted, the kind is named as capped, and another bureau's
drafts take no place among them (nor in the count)."""

import datetime as dt

import pytest
from django.utils import timezone

from portal import search_selectors, search_services
from portal.search_input import search_filter
from portal.search_selectors import SearchResults
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanggao(jx, nm):
    """Five published JX events at 上高, a day apart (0 the oldest), and two NM drafts at
    上高 newer than all of them."""
    now = timezone.now()
    made = {
        f"jx{i}": EventFactory(
            bureau=jx, location_name="江西上高", origin_time=now - dt.timedelta(days=10 - i)
        )
        for i in range(5)
    }
    for i in range(2):
        made[f"nm_draft{i}"] = EventFactory(
            bureau=nm, location_name="江西上高", origin_time=now - dt.timedelta(hours=i), is_published=False
        )
    search_services.rebuild(keys=["event"])
    return made


def _ids(results):
    return [hit.id for hit in results[0:20]]


def test_over_the_cap_the_newest_readable_are_ranked_and_the_kind_is_capped(
    shanggao, jx_forecaster, as_actor, monkeypatch
):
    monkeypatch.setattr(search_selectors, "KIND_CAP", 3)
    results = SearchResults(actor=as_actor(jx_forecaster), flt=search_filter(q="上高"))
    assert results.count() == 3
    assert results.found.counts == {"event": 3}
    assert results.found.capped == {"event"}
    # equal ranks: the newer first; the NM drafts (newer still) are not JX's to read
    assert _ids(results) == [shanggao[f"jx{i}"].pk for i in (4, 3, 2)]


def test_at_the_cap_nothing_is_capped(shanggao, jx_forecaster, as_actor, monkeypatch):
    monkeypatch.setattr(search_selectors, "KIND_CAP", 5)
    results = SearchResults(actor=as_actor(jx_forecaster), flt=search_filter(q="上高"))
    assert (results.count(), results.found.capped) == (5, frozenset())
    assert _ids(results) == [shanggao[f"jx{i}"].pk for i in (4, 3, 2, 1, 0)]


def test_the_owner_of_the_drafts_finds_them_first(shanggao, nm_forecaster, as_actor, monkeypatch):
    monkeypatch.setattr(search_selectors, "KIND_CAP", 3)
    results = SearchResults(actor=as_actor(nm_forecaster), flt=search_filter(q="上高"))
    assert _ids(results) == [shanggao["nm_draft0"].pk, shanggao["nm_draft1"].pk, shanggao["jx4"].pk]


def test_the_api_names_the_capped_kinds(shanggao, jx_forecaster, api, monkeypatch):
    monkeypatch.setattr(search_selectors, "KIND_CAP", 3)
    body = api(jx_forecaster).get("/api/v1/search/", {"q": "上高"}).json()
    assert (body["count"], body["capped_kinds"]) == (3, ["event"])
    body = api(jx_forecaster).get("/api/v1/search/", {"q": "上高", "from": "2000-01-01"}).json()
    assert body["capped_kinds"] == ["event"]
    monkeypatch.setattr(search_selectors, "KIND_CAP", 50)
    body = api(jx_forecaster).get("/api/v1/search/", {"q": "上高"}).json()
    assert (body["count"], body["capped_kinds"]) == (5, [])


def test_the_page_says_more_than_and_how_to_narrow(shanggao, jx_forecaster, client, monkeypatch):
    monkeypatch.setattr(search_selectors, "KIND_CAP", 3)
    client.force_login(jx_forecaster)
    page = client.get("/search/", {"q": "上高"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "More than 3 results" in page
    assert 'id="search-capped"' in page
    assert "3+" in page


def test_the_kinds_with_the_words_are_found_in_one_statement(shanggao, jx_forecaster, as_actor):
    """Which kinds have any document with the words is one statement (a probe per kind,
    ``UNION ALL``), not a round trip per registered kind."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal import search

    flt = search_filter(q="上高")
    assert len(search.kinds()) > 10
    with CaptureQueriesContext(connection) as queries:
        present = search_selectors._kinds_with_the_words(search_selectors._query(flt.words), flt)
    assert present == {"event"}
    selects = [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "("))
    ]
    assert len(selects) == 1, selects
    assert selects[0].count("UNION ALL") == len(search.kinds()) - 1
