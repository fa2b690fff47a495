"""Reads of the search index: what an actor finds for some words, ranked, with the matching
words marked. Tenancy is the models' own: each kind's part of the query keeps only documents
whose row is in ``kind.model.objects.visible_to(actor)`` (a semi-join), so counts, per-kind
counts and results all see exactly what the actor may read."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Exists, F, Func, OuterRef, Value
from django.db.models import FloatField as DjangoFloatField

from . import search, search_text
from .models import Bureau, SearchDocument

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from django.db.models import QuerySet

    from .tenancy import Actor

#: characters of text around the first matching word in a result's snippet
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class SearchFilter:
    words: tuple[str, ...]  # search_text.query_words of what was typed
    kinds: tuple[str, ...] = ()  # registered kind keys; none: every kind
    bureau: Bureau | None = None
    date_from: dt.datetime | None = None  # inclusive
    date_to: dt.datetime | None = None  # exclusive


@dataclass(frozen=True)
class SearchHit:
    kind: str
    kind_label: str
    id: int
    title: str
    title_parts: list[tuple[str, bool]]  # (text, is a matching word)
    snippet_parts: list[tuple[str, bool]]
    url: str
    score: float
    date: dt.datetime | None
    bureau_code: str

    @property
    def snippet(self) -> str:
        return "".join(text for text, _ in self.snippet_parts)


def bureau_by_code(code: str) -> Bureau | None:
    return Bureau.objects.filter(code=code).first()


def _query(words: Sequence[str]) -> SearchQuery:
    # every word must occur (search_text.query_expression); 'simple' reads them as the index did
    return SearchQuery(search_text.query_expression(list(words)), config="simple", search_type="raw")


#: A kind with more readable matches than this is ranked over its newest ``KIND_CAP`` (and
#: counted as "1,000+"): ranking and counting every one of 16,000 matches of a common word
#: costs a tenancy check per match (0.5 s over a million documents), past what a search box
#: may take; the newest come straight out of the RUM index in date order (migration
#: ``portal/0013_search_rum``), so the cost stays that of ``KIND_CAP`` rows however common
#: the word. Narrowing (another word, a kind, a bureau, dates) brings the rest in.
KIND_CAP = 1000

# the RUM index orders by the distance of ``date`` to this anchor on its left (``<=|``):
# newest first; the anchor is the last moment a Python datetime can hold, so no stored date
# lies to its right
_NEWEST_ANCHOR = dt.datetime.max.replace(tzinfo=dt.UTC)


class _NewestFirst(Func):
    """``date <=| anchor``: RUM's ordering operator, so ``ORDER BY`` it with ``LIMIT`` reads
    the newest matching documents from the index without visiting the others."""

    arg_joiner = " <=| "
    template = "(%(expressions)s)"
    output_field = DjangoFloatField()


@dataclass(frozen=True)
class Candidate:
    id: int  # SearchDocument's
    kind: str
    score: float
    date: dt.datetime | None


@dataclass(frozen=True)
class Found:
    """What one search found for one actor: the candidates ranked (cover density rank, title
    words weighing most; the newer first among equals), each kind's count (at most
    ``KIND_CAP``) and the kinds that had more."""

    ranked: tuple[Candidate, ...]
    counts: dict[str, int]
    capped: frozenset[str]

    @property
    def total(self) -> int:
        return len(self.ranked)


_NOTHING = Found(ranked=(), counts={}, capped=frozenset())


def search_found(*, actor: Actor | None, flt: SearchFilter) -> Found:
    """One statement: for each kind that has the words, its readable matching documents, the
    newest ``KIND_CAP + 1`` at most (one more tells that there were more), with their rank;
    each kind's rows are checked against its ``visible_to(actor)`` (a correlated ``EXISTS``
    on the row's primary key), so the counts and the results see exactly what the actor may
    read. The planner takes each kind's part from the (kind, words) GIN index where the
    kind has few matches and from the RUM index in date order where it has many."""
    if actor is None or not flt.words:
        return _NOTHING
    query = _query(flt.words)
    present = _kinds_with_the_words(query, flt)
    parts = []
    for kind in search.kinds():
        if kind.key not in present:
            continue
        visible = kind.model.objects.visible_to(actor).filter(pk=OuterRef("object_id"))  # type: ignore[attr-defined]
        part = (
            _narrowed(SearchDocument.objects.filter(kind=kind.key, vector=query), flt)
            .filter(Exists(visible))
            .annotate(
                score=SearchRank(F("vector"), query, cover_density=True),
                newest=_NewestFirst(F("date"), Value(_NEWEST_ANCHOR)),
            )
            .order_by("newest")
            .values_list("id", "kind", "score", "date")[: KIND_CAP + 1]
        )
        parts.append(part)
    if not parts:
        return _NOTHING
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    sql, params = rows.query.sql_with_params()
    with _without_jit() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    by_kind: dict[str, list[Candidate]] = {}
    for id_, kind_key, score, date in fetched:
        by_kind.setdefault(kind_key, []).append(Candidate(id_, kind_key, float(score), date))
    capped = frozenset(key for key, found in by_kind.items() if len(found) > KIND_CAP)
    # each part came newest first; sorted again here so the one left out is the oldest
    # whatever order the UNION handed the rows over in
    kept = [c for found in by_kind.values() for c in sorted(found, key=_newest_key)[:KIND_CAP]]
    kept.sort(key=_rank_key)
    return Found(
        ranked=tuple(kept),
        counts={key: min(len(found), KIND_CAP) for key, found in by_kind.items()},
        capped=capped,
    )


def _newest_key(candidate: Candidate) -> tuple[float, int]:
    when = candidate.date.timestamp() if candidate.date is not None else float("-inf")
    return (-when, -candidate.id)


def _rank_key(candidate: Candidate) -> tuple[float, float, int]:
    # higher score first; among equals the newer, then the later indexed; no date last
    return (-candidate.score, *_newest_key(candidate))


def _narrowed(found: QuerySet[SearchDocument], flt: SearchFilter) -> QuerySet[SearchDocument]:
    if flt.kinds:
        found = found.filter(kind__in=flt.kinds)
    if flt.bureau is not None:
        found = found.filter(bureau=flt.bureau)
    if flt.date_from is not None:
        found = found.filter(date__gte=flt.date_from)
    if flt.date_to is not None:
        found = found.filter(date__lt=flt.date_to)
    return found


def _kinds_with_the_words(query: SearchQuery, flt: SearchFilter) -> set[str]:
    """The kinds that have any document with the words, whoever may read it: only their
    tenancy conditions are built (the ORM takes milliseconds for each kind's grants, and
    most searches touch a few kinds). One probe per kind on the (kind, words) GIN index,
    which stops at the first document, all in one statement (``UNION ALL`` of the probes,
    each ``LIMIT 1``: one round trip, not one per kind). Used only to leave kinds out,
    never shown."""
    keys = list(flt.kinds) or [kind.key for kind in search.kinds()]
    probes = [
        _narrowed(SearchDocument.objects.filter(kind=key, vector=query), flt)
        .order_by()
        .values_list("kind", flat=True)[:1]
        for key in keys
    ]
    if not probes:
        return set()
    with _without_jit():
        return set(probes[0].union(*probes[1:], all=True))


@contextmanager
def _without_jit() -> Iterator[Any]:
    """The tenancy checks (one ``EXISTS`` per kind, each with its grants) make the planner's
    cost estimate large though the query reads a few index pages; PostgreSQL's JIT would then
    compile a thousand expressions (3 s measured) for a query that runs in 10 ms."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield cursor


def search_counts(*, actor: Actor | None, flt: SearchFilter) -> dict[str, int]:
    """How many documents of each kind ``actor`` finds (kinds with none left out), at most
    ``KIND_CAP`` each (``search_found(...).capped`` says which had more)."""
    return dict(search_found(actor=actor, flt=flt).counts)


def search_page(
    *, actor: Actor | None, flt: SearchFilter, offset: int, limit: int, found: Found | None = None
) -> list[SearchHit]:
    """The hits ranked ``offset`` … ``offset + limit``. ``found``: the search run already."""
    found = search_found(actor=actor, flt=flt) if found is None else found
    if limit <= 0:
        return []
    return hits_of(found.ranked[offset : offset + limit], flt)


def hits_of(candidates: Sequence[Candidate], flt: SearchFilter) -> list[SearchHit]:
    """The candidates as results to show: their documents read in one query, the words marked."""
    docs = SearchDocument.objects.select_related("bureau").in_bulk([c.id for c in candidates])
    pattern = _words_pattern(flt.words)
    hits = []
    for candidate in candidates:
        doc = docs.get(candidate.id)
        if doc is None:  # removed between the two reads
            continue
        kind = search.kind_get(doc.kind)
        hits.append(
            SearchHit(
                kind=doc.kind,
                kind_label=str(kind.label) if kind else doc.kind,
                id=doc.object_id,
                title=doc.title,
                title_parts=mark(doc.title, pattern),
                snippet_parts=mark(snippet_text(doc.body, pattern), pattern),
                url=doc.url,
                score=round(candidate.score, 6),
                date=doc.date,
                bureau_code=doc.bureau.code if doc.bureau else "",
            )
        )
    return hits


class SearchResults:
    """A page-able view of one search (Django's and DRF's paginators slice it): the search
    runs once, on the first use; ``count()`` and every slice read what it found."""

    def __init__(self, *, actor: Actor | None, flt: SearchFilter) -> None:
        self.actor = actor
        self.flt = flt
        self._found: Found | None = None

    @property
    def found(self) -> Found:
        if self._found is None:
            self._found = search_found(actor=self.actor, flt=self.flt)
        return self._found

    def count(self) -> int:
        return self.found.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: Any) -> list[SearchHit]:
        if not isinstance(item, slice):
            raise TypeError("slice a search's results")
        start = item.start or 0
        stop = item.stop if item.stop is not None else start + 20
        return search_page(actor=self.actor, flt=self.flt, offset=start, limit=stop - start, found=self.found)


# --- marking the words ---------------------------------------------------------------------


def _words_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    # an English word is marked by its stem too: "decrease" marks the "decreas" of "decreasing"
    usable = sorted(
        {w for w in words if w.strip()} | {search_text.stem(w) for w in words if w.strip()},
        key=len,
        reverse=True,
    )
    if not usable:
        return None
    return re.compile("|".join(re.escape(w) for w in usable), re.IGNORECASE)


def snippet_text(body: str, pattern: re.Pattern[str] | None) -> str:
    """About ``SNIPPET_CHARS`` characters of ``body`` around its first matching word."""
    body = " ".join((body or "").split())
    found = pattern.search(body) if pattern else None
    if found is None or len(body) <= SNIPPET_CHARS:
        return body[:SNIPPET_CHARS] + ("…" if len(body) > SNIPPET_CHARS else "")
    start = max(0, found.start() - SNIPPET_CHARS // 3)
    end = min(len(body), start + SNIPPET_CHARS)
    return ("…" if start else "") + body[start:end] + ("…" if end < len(body) else "")


def mark(text: str, pattern: re.Pattern[str] | None) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is a matching word); the template escapes each piece."""
    if not text:
        return []
    if pattern is None:
        return [(text, False)]
    parts: list[tuple[str, bool]] = []
    position = 0
    for found in pattern.finditer(text):
        if found.start() > position:
            parts.append((text[position : found.start()], False))
        parts.append((found.group(0), True))
        position = found.end()
    if position < len(text):
        parts.append((text[position:], False))
    return parts
