"""Danger zones are found by the one search, with the tenancy of every read: a published
national zone by everyone, another bureau's draft by nobody else, not even as a count."""

from __future__ import annotations

import pytest

from portal import search_services
from portal.search_input import search_filter
from portal.search_selectors import search_counts, search_page

pytestmark = pytest.mark.django_db


def test_a_published_zone_is_found_by_its_words_and_a_draft_only_by_its_bureau(
    make_zone, cenc, jx_forecaster, cenc_chair, as_actor
):
    published = make_zone(cenc, name="赣中危险区")
    published.basis = "九江台水位呈趋势性下降，赣中地区中等地震活跃。"
    published.save()
    draft = make_zone(cenc, name="川滇交界危险区", status="draft")
    search_services.rebuild(keys=["danger_zone"])
    jx = as_actor(jx_forecaster)
    hits = search_page(actor=jx, flt=search_filter(q="水位下降"), offset=0, limit=10)
    assert [(h.kind, h.id) for h in hits] == [("danger_zone", published.pk)]
    assert search_counts(actor=jx, flt=search_filter(q="川滇")) == {}
    cenc_hits = search_page(actor=as_actor(cenc_chair), flt=search_filter(q="川滇"), offset=0, limit=10)
    assert [h.id for h in cenc_hits] == [draft.pk]
