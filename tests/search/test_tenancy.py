"""Tenancy exactly as for every read: another bureau's draft is never found, not as a count."""

import pytest

from portal.search_input import search_filter
from portal.search_selectors import SearchResults, search_counts, search_page
from tests.factories import AnomalyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jx_draft(corpus, jx, disciplines):
    from portal import search_services

    draft = AnomalyFactory(
        bureau=jx,
        discipline=disciplines["fluid"],
        station="修水台",
        observation_item="水位",
        description="修水台水位突降，待核实。",
    )
    search_services.rebuild(keys=["anomaly"])
    return draft


def test_a_draft_is_found_by_its_own_bureau(jx_draft, jx_forecaster, as_actor):
    hits = search_page(actor=as_actor(jx_forecaster), flt=search_filter(q="修水"), offset=0, limit=10)
    assert [h.id for h in hits] == [jx_draft.pk]


@pytest.mark.parametrize("who", ["nm_forecaster", "cenc_forecaster"])
def test_another_bureaus_draft_is_never_found_nor_counted(jx_draft, who, request, as_actor):
    actor = as_actor(request.getfixturevalue(who))
    flt = search_filter(q="修水 水位")
    assert search_page(actor=actor, flt=flt, offset=0, limit=10) == []
    assert search_counts(actor=actor, flt=flt) == {}
    assert SearchResults(actor=actor, flt=flt).count() == 0


def test_a_national_unit_finds_what_a_province_published_and_a_province_does_not(
    jx_draft, corpus, nm_forecaster, cenc_forecaster, as_actor
):
    flt = search_filter(q="九江 水位")
    assert search_counts(actor=as_actor(cenc_forecaster), flt=flt) == {"anomaly": 2}
    assert search_counts(actor=as_actor(nm_forecaster), flt=flt) == {}


def test_the_api_counts_only_what_the_caller_reads(jx_draft, nm_forecaster, api):
    answer = api(nm_forecaster).get("/api/v1/search/", {"q": "修水"})
    assert answer.status_code == 200
    assert answer.json()["count"] == 0
    assert answer.json()["results"] == []
