"""The expected document first, for the queries people type (issue 17)."""

import pytest

from portal.search_input import search_filter
from portal.search_selectors import search_counts, search_page

pytestmark = pytest.mark.django_db


def _top(actor, q, **filters):
    return search_page(actor=actor, flt=search_filter(q=q, **filters), offset=0, limit=10)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("九江 水位", "jiujiang_level"),
        ("水位下降", "jiujiang_level"),
        ("逐日比 异常", "ruichang_ratio"),
        ("十月 月报", "october"),
        ("玛多 7.4", "maduo_74"),
        ("地电阻率", "ruichang_ratio"),
        ("泸定", "luding_68"),
    ],
)
def test_the_expected_document_comes_first(corpus, jx_forecaster, as_actor, q, expected):
    hits = _top(as_actor(jx_forecaster), q)
    assert hits, q
    assert (hits[0].kind, hits[0].id) == (_kind(corpus[expected]), corpus[expected].pk)


def _kind(row):
    return {"Anomaly": "anomaly", "Event": "event", "TrendReport": "trend_report"}[type(row).__name__]


def test_every_word_must_occur(corpus, jx_forecaster, as_actor):
    ids = {hit.id for hit in _top(as_actor(jx_forecaster), "玛多 7.4")}
    assert corpus["maduo_51"].pk not in ids
    assert {hit.id for hit in _top(as_actor(jx_forecaster), "水位下降")} == {corpus["jiujiang_level"].pk}


def test_the_matching_words_are_marked(corpus, jx_forecaster, as_actor):
    hit = _top(as_actor(jx_forecaster), "九江 水位")[0]
    assert ("九江", True) in hit.title_parts
    assert any(text == "水位" and match for text, match in hit.snippet_parts)


def test_english_words_are_found(corpus, jx_forecaster, as_actor):
    hits = _top(as_actor(jx_forecaster), "October")
    assert hits[0].id == corpus["october"].pk


def test_filters_narrow_by_kind_bureau_and_date(corpus, jx_forecaster, as_actor):
    import datetime as dt

    actor = as_actor(jx_forecaster)
    assert {h.kind for h in _top(actor, "九江", kinds=["event"])} == set()
    assert {h.kind for h in _top(actor, "九江", kinds=["anomaly"])} == {"anomaly"}
    assert _top(actor, "玛多", bureau_code="JX") == []
    assert len(_top(actor, "玛多", bureau_code="CENC")) == 2
    past = dt.date(2000, 1, 1)
    assert _top(actor, "九江 水位", date_to=past) == []
    counts = search_counts(actor=actor, flt=search_filter(q="九江"))
    assert counts == {"anomaly": 3}


def test_english_words_are_found_by_their_stems(corpus, jx, jx_forecaster, as_actor):
    from portal import search_services
    from tests.factories import AnomalyFactory

    decreasing = AnomalyFactory(
        bureau=jx,
        state="assessed",
        station="Jiujiang",
        observation_item="water level",
        description="Water levels decreasing since March; pumping ruled out.",
    )
    search_services.rebuild(keys=["anomaly"])
    actor = as_actor(jx_forecaster)
    for q in ("water level decrease", "decreased levels", "Jiujiang pumps"):
        hits = _top(actor, q)
        assert [(h.kind, h.id) for h in hits] == [("anomaly", decreasing.pk)], q
    marked = [text for text, match in _top(actor, "decrease")[0].snippet_parts if match]
    assert marked == ["decreas"]
    assert _top(actor, "increase") == []


def test_stems_are_for_english_words_only():
    from portal import search_text

    assert search_text.index_words("levels M7.4 km 九江") == ["levels", "level", "m", "7.4", "km", "九江"]
    assert search_text.query_expression(["levels", "km"]) == "('levels' | 'level') & 'km'"
