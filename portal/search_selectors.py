"""Reads of the search index: what an actor finds for some words, ranked, with the matching
words marked. Tenancy is the models' own: each kind's part of the query keeps only documents
whose row is in ``kind.model.objects.visible_to(actor)`` (a semi-join), so counts, per-kind
counts and results all see exactly what the actor may read."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q

from . import search, search_text
from .models import Bureau, SearchDocument

if TYPE_CHECKING:
    import datetime as dt
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


@dataclass(frozen=True)
class Matching:
    """One search compiled to SQL once (the tenancy conditions of every kind take tens of ms
    to build and compile), read twice: for the counts and for a page."""

    sql: str
    params: tuple[Any, ...]


def _matching(actor: Actor | None, flt: SearchFilter) -> Matching | None:
    """The documents matching the words and the filters whose rows ``actor`` may read, with
    their rank: one query, one scan of the words' index; each kind's rows are checked
    against its ``visible_to(actor)`` (a correlated ``EXISTS`` on the row's primary key, so
    only matching documents are checked). None: nothing can match."""
    if actor is None or not flt.words:
        return None
    query = _query(flt.words)
    present = _kinds_with_the_words(query, flt)
    readable = Q()
    for kind in search.kinds():
        if kind.key not in present:
            continue
        visible = kind.model.objects.visible_to(actor).filter(pk=OuterRef("object_id"))  # type: ignore[attr-defined]
        readable |= Q(Q(kind=kind.key), Exists(visible))
    if not readable:
        return None
    found = _narrowed(SearchDocument.objects.filter(readable, vector=query), flt)
    ranked = found.annotate(score=SearchRank(F("vector"), query, cover_density=True)).values(
        "id", "kind", "date", "score"
    )
    sql, params = ranked.query.sql_with_params()
    return Matching(sql=sql, params=tuple(params))


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
    most searches touch a few kinds). Used only to leave kinds out, never shown."""
    found = _narrowed(SearchDocument.objects.filter(vector=query), flt)
    with _without_jit():
        return set(found.order_by().values_list("kind", flat=True).distinct())


@contextmanager
def _without_jit() -> Iterator[Any]:
    """The tenancy checks (one ``EXISTS`` per kind, each with its grants) make the planner's
    cost estimate large though the query reads a few index pages; PostgreSQL's JIT would then
    compile a thousand expressions (3 s measured) for a query that runs in 10 ms."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield cursor


_UNSET: Any = object()


def search_counts(*, actor: Actor | None, flt: SearchFilter, found: Any = _UNSET) -> dict[str, int]:
    """How many documents of each kind ``actor`` finds (kinds with none left out); one query.
    ``found``: the search compiled already (``_matching``)."""
    found = _matching(actor, flt) if found is _UNSET else found
    if found is None:
        return {}
    with _without_jit() as cursor:
        cursor.execute(f"SELECT m.kind, count(*) FROM ({found.sql}) m GROUP BY m.kind", found.params)  # noqa: S608 - compiled by the ORM, values as parameters
        return {kind: n for kind, n in cursor.fetchall() if n}


def search_page(
    *, actor: Actor | None, flt: SearchFilter, offset: int, limit: int, found: Any = _UNSET
) -> list[SearchHit]:
    """The hits ranked ``offset`` … ``offset + limit`` (cover density rank, title words
    weighing most; the newer first among equals)."""
    found = _matching(actor, flt) if found is _UNSET else found
    if found is None or limit <= 0:
        return []
    with _without_jit() as cursor:
        cursor.execute(
            f"SELECT m.id, m.score FROM ({found.sql}) m "  # noqa: S608 - compiled by the ORM, values as parameters
            "ORDER BY m.score DESC, m.date DESC NULLS LAST, m.id DESC LIMIT %s OFFSET %s",
            (*found.params, limit, offset),
        )
        top = [{"id": row[0], "score": row[1]} for row in cursor.fetchall()]
    docs = SearchDocument.objects.select_related("bureau").in_bulk([row["id"] for row in top])
    pattern = _words_pattern(flt.words)
    hits = []
    for row in top:
        doc = docs.get(row["id"])
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
                score=round(float(row["score"]), 6),
                date=doc.date,
                bureau_code=doc.bureau.code if doc.bureau else "",
            )
        )
    return hits


class SearchResults:
    """A page-able view of one search (Django's and DRF's paginators slice it): ``count()``
    runs the count, a slice runs the ranked page."""

    def __init__(self, *, actor: Actor | None, flt: SearchFilter) -> None:
        self.actor = actor
        self.flt = flt
        self._count: int | None = None
        # the tenancy conditions are built once for the count and the page (tens of ms)
        self._found = _matching(actor, flt)

    def count(self) -> int:
        if self._count is None:
            self._count = sum(search_counts(actor=self.actor, flt=self.flt, found=self._found).values())
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: Any) -> list[SearchHit]:
        if not isinstance(item, slice):
            raise TypeError("slice a search's results")
        start = item.start or 0
        stop = item.stop if item.stop is not None else start + 20
        return search_page(
            actor=self.actor, flt=self.flt, offset=start, limit=stop - start, found=self._found
        )


# --- marking the words ---------------------------------------------------------------------


def _words_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    usable = sorted({w for w in words if w.strip()}, key=len, reverse=True)
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
