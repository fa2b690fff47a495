"""Benchmark of the portal's search (issue 17): queries over 1,000,000 indexed documents,
and the indexing rate.

Run:  set -a && . ./.env && set +a && .venv/bin/python bench/search_bench.py [--docs 1000000] [--queries 60] [--keep]

Works in the database of DATABASE_URL (the worktree's own), on rows it marks and removes at
the end (unless --keep; a second run reuses kept rows):

1. Generation (timed, not the figure): ``--docs`` catalog events of the demo bureaus (70 %
   published, the rest drafts only their bureau reads) and their search documents, built in
   SQL (INSERT … SELECT over generate_series) from the gazetteer's place names
   (reports/data/search_places.txt) and the discipline terms (portal/data/search_terms.txt):
   "瑞昌台地电阻率呈趋势性下降，修水水位同步变化" with its words already known, so the
   segmenter is not run a million times here. Then ANALYZE.
2. Indexing rate: 5,000 of those events re-indexed through ``portal.search_services.index_rows``
   (the code every save runs: jieba over title and body, then the upsert), batches of 500.
3. Queries as a province (JX: its own drafts, everyone's published events) through
   ``portal.search_selectors`` (what the API does: the count, then page 1 of 20), for
   one-word queries (a place; a discipline term, in ~3 % of the documents) and two-word
   queries (place + term). The limit, in the same run: the same plan as bare SQL over the
   same table, no kinds, no tenancy (the newest ``KIND_CAP + 1`` matches from the RUM index,
   ranked, the top 20); and, for reference, what ranking every match costs in bare SQL:
   ``count(*)`` and the top 20 by ``ts_rank_cd`` over all of them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "bench-search-"


def stats(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def vocabulary() -> tuple[list[str], list[str]]:
    rng = random.Random(17)
    places = [
        line.split()[0]
        for line in (ROOT / "reports/data/search_places.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and 2 <= len(line.split()[0]) <= 3
    ]
    places = sorted(rng.sample(places, 3000))
    terms = [
        line.split()[0]
        for line in (ROOT / "portal/data/search_terms.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and not line.split()[0].isascii()
    ]
    return places, terms


TRENDS = ["趋势性下降", "趋势性上升", "突升", "突降", "破年变", "同步变化"]


def generate(cursor, n: int, places: list[str], terms: list[str], bureaus: list[int]) -> None:  # type: ignore[no-untyped-def]
    params = {"n": n, "places": places, "terms": terms, "trends": TRENDS, "bureaus": bureaus, "mark": MARK}
    # picks: place a, place b, term s, term t, trend r (deterministic in g)
    picks = """
        %(places)s::text[] AS pl, %(terms)s::text[] AS te, %(trends)s::text[] AS tr,
        1 + (g * 7919) %% cardinality(%(places)s::text[]) AS a,
        1 + (g * 104729 + 13) %% cardinality(%(places)s::text[]) AS b,
        1 + (g * 31) %% cardinality(%(terms)s::text[]) AS s,
        1 + (g * 17 + 5) %% cardinality(%(terms)s::text[]) AS t,
        1 + (g * 7) %% cardinality(%(trends)s::text[]) AS r
    """
    cursor.execute(
        f"""
        INSERT INTO catalog_event (created_at, updated_at, bureau_id, public_id, external_id, origin_time,
            latitude, longitude, location, depth_km, magnitude, magnitude_type, location_name, source,
            event_type, status, report_kind, is_published, version)
        SELECT now(), now(), (%(bureaus)s::bigint[])[1 + g %% cardinality(%(bureaus)s::bigint[])],
            %(mark)s || g, '', now() - g * interval '1 minute', 30, 110,
            ST_SetSRID(ST_MakePoint(110, 30), 4326), 10, round((2 + (g %% 60) / 10.0)::numeric, 1), 'M',
            pl[a] || pl[b], 'bench', 'earthquake', 'reviewed', 'formal', g %% 10 < 7, 1
        FROM generate_series(1::bigint, %(n)s) g, LATERAL (SELECT {picks}) p
        """,
        params,
    )
    cursor.execute(
        f"""
        INSERT INTO portal_searchdocument (kind, object_id, bureau_id, title, body, url, date, indexed_at, vector)
        SELECT 'event', e.id, e.bureau_id, e.location_name || ' M' || e.magnitude,
            pl[a] || '台' || te[s] || '呈' || tr[r] || '，' || pl[b] || te[t] || '同步变化',
            '/events/' || e.public_id || '/', e.origin_time, now(),
            setweight(to_tsvector('simple', pl[a] || ' ' || pl[b] || ' m ' || e.magnitude), 'A')
            || setweight(to_tsvector('simple',
                pl[a] || ' 台 ' || te[s] || ' 呈 ' || tr[r] || ' ' || pl[b] || ' ' || te[t] || ' 同步 变化'), 'B')
        FROM (SELECT e.*, substr(e.public_id, {len(MARK) + 1})::bigint AS g FROM catalog_event e
              WHERE e.public_id LIKE %(mark)s || '%%') e,
             LATERAL (SELECT {picks}) p
        ON CONFLICT (kind, object_id) DO NOTHING
        """,
        params,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=60, help="queries of each sort")
    parser.add_argument("--keep", action="store_true", help="keep the generated rows for another run")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
    import django

    django.setup()
    from django.db import connection, transaction

    from catalog.models import Event
    from portal import search, search_services
    from portal.models import Bureau, SearchDocument
    from portal.search_input import search_filter
    from portal.search_selectors import SearchResults
    from portal.tenancy import bureau_reader

    places, terms = vocabulary()
    bureaus = list(Bureau.objects.order_by("pk").values_list("pk", flat=True)[:8])
    jx = Bureau.objects.get(code="JX")
    have = SearchDocument.objects.filter(kind="event", url__startswith="/events/" + MARK).count()
    print(f"PostgreSQL {connection.pg_version}, 2 CPUs shared; {len(places)} places, {len(terms)} terms")
    if have < args.docs:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM portal_searchdocument WHERE url LIKE %s", ["/events/" + MARK + "%"])
            cursor.execute("DELETE FROM catalog_event WHERE public_id LIKE %s", [MARK + "%"])
            generate(cursor, args.docs, places, terms, bureaus)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_event")
            cursor.execute("ANALYZE portal_searchdocument")
        print(f"generated {args.docs:,} events and documents in {time.perf_counter() - started:.0f} s (SQL)")
    total = SearchDocument.objects.count()
    print(f"documents in the index: {total:,}")

    # --- indexing rate through the real path ------------------------------------------------
    kind = search.kind_get("event")
    assert kind is not None
    sample = list(Event.objects.filter(public_id__startswith=MARK).order_by("pk")[:5000])
    search_services.index_rows(kind, sample[:10])  # the segmenter's dictionary, once per process
    started = time.perf_counter()
    for i in range(0, len(sample), 500):
        with transaction.atomic():
            search_services.index_rows(kind, sample[i : i + 500])
    seconds = time.perf_counter() - started
    print(f"indexing (jieba + upsert, batches of 500): {len(sample) / seconds:,.0f} documents/s")

    # --- queries --------------------------------------------------------------------------------
    rng = random.Random(4)
    actor = bureau_reader(jx)
    discipline_terms = [t for t in terms if len(t) >= 2][:40]
    sorts = {
        "one word, a place": [rng.choice(places) for _ in range(args.queries)],
        "one word, a term (~3 % of docs)": [rng.choice(discipline_terms) for _ in range(args.queries)],
        "two words, place + term": [
            f"{rng.choice(places)} {rng.choice(discipline_terms)}" for _ in range(args.queries)
        ],
    }
    from portal import search_text
    from portal.search_selectors import KIND_CAP

    bare_count = "SELECT count(*) FROM portal_searchdocument WHERE vector @@ to_tsquery('simple', %s)"
    bare_top = (
        "SELECT id FROM portal_searchdocument WHERE vector @@ to_tsquery('simple', %s) "
        "ORDER BY ts_rank_cd(vector, to_tsquery('simple', %s)) DESC LIMIT 20"
    )
    # the same plan as the portal's, bare: the newest KIND_CAP + 1 matches out of the RUM
    # index, ranked; no kinds, no tenancy
    capped_top = (
        "SELECT id, count(*) OVER () FROM (SELECT id, ts_rank_cd(vector, to_tsquery('simple', %s)) AS r "
        "FROM portal_searchdocument WHERE vector @@ to_tsquery('simple', %s) "
        "ORDER BY date <=| '9999-12-31 23:59:59.999999+00'::timestamptz LIMIT %s) m ORDER BY r DESC LIMIT 20"
    )
    print()
    print(
        f"{'query':34} {'portal search (count + page 1, tenancy)':44} "
        f"{'limit: the same cap, bare SQL':40} {'bare SQL, ranking every match':40} hits"
    )
    for name, queries in sorts.items():
        timed, limit, bare, hits = [], [], [], []
        for q in queries:
            flt = search_filter(q=q)
            started = time.perf_counter()
            results = SearchResults(actor=actor, flt=flt)
            count = results.count()
            results[0:20]
            timed.append(time.perf_counter() - started)
            hits.append(count)
            expression = search_text.query_expression(list(flt.words))
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(capped_top, [expression, expression, KIND_CAP + 1])
                cursor.fetchall()
            limit.append(time.perf_counter() - started)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(bare_count, [expression])
                cursor.fetchone()
                cursor.execute(bare_top, [expression, expression])
                cursor.fetchall()
            bare.append(time.perf_counter() - started)
        print(
            f"{name:34} {stats(timed):44} {stats(limit):40} {stats(bare):40} "
            f"median {statistics.median(hits):,.0f}"
        )

    if not args.keep:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM portal_searchdocument WHERE url LIKE %s", ["/events/" + MARK + "%"])
            cursor.execute("DELETE FROM catalog_event WHERE public_id LIKE %s", [MARK + "%"])
        print(f"\nremoved the generated rows in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
