"""Writes of the search index (``portal.SearchDocument``): one row on save, its removal on
delete, and the rebuild of everything. See ``portal.search`` for why saves reach here through
signals connected by the registry."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from . import search, search_text
from .models import SearchDocument
from .tenancy import system_read

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from django.db.models import Model

log = logging.getLogger(__name__)

# the table of portal.SearchDocument (its db_table)
_UPSERT = """
INSERT INTO portal_searchdocument
    (kind, object_id, bureau_id, title, body, url, date, indexed_at, vector)
VALUES (%s, %s, %s, %s, %s, %s, %s, now(),
        setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B'))
ON CONFLICT (kind, object_id) DO UPDATE SET
    bureau_id = EXCLUDED.bureau_id, title = EXCLUDED.title, body = EXCLUDED.body,
    url = EXCLUDED.url, date = EXCLUDED.date, indexed_at = now(), vector = EXCLUDED.vector
"""


def document_params(kind: search.SearchKind, row: Any) -> tuple[Any, ...]:
    """The upsert's parameters for one row: its document, segmented."""
    doc = kind.document(row)
    title = " ".join(doc.title.split())[: search.TITLE_LIMIT]
    body = (doc.body or "")[: search.BODY_LIMIT]
    return (
        kind.key,
        row.pk,
        row.bureau_id,
        title,
        body,
        doc.url[:300],
        doc.date,
        search_text.joined(search_text.index_words(title)),
        search_text.joined(search_text.index_words(body)),
    )


def index_rows(kind: search.SearchKind, rows: Iterable[Any]) -> int:
    """Write the documents of ``rows`` (of ``kind``'s model); returns how many."""
    params = [document_params(kind, row) for row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, params)
    return len(params)


#: ids per indexing task after a bulk write (a message of a few tens of kB)
INDEX_TASK_BATCH = 5_000


def index_ids(key: str, ids: Iterable[int]) -> int:
    """(Re)index the rows ``ids`` of kind ``key``, read now."""
    kind = search.kind_get(key)
    wanted = list(ids)
    if kind is None or not wanted:
        return 0
    return index_rows(kind, kind.model._base_manager.select_related(*kind.related).filter(pk__in=wanted))


def index_ids_after_commit(key: str, ids: Iterable[int]) -> None:
    """For rows code wrote in bulk (``bulk_update``, SQL: no save signal): index them in the
    background once the transaction commits, ``INDEX_TASK_BATCH`` a task. Not in the writer's
    transaction: segmenting and upserting costs ~5x a catalog import's own writes (20,000
    events: 1.5 s, 8.7 s with the documents), and the import must stay fast; the documents
    follow within seconds."""
    wanted = list(ids)
    if not wanted:
        return
    from .tasks import search_index_ids_task

    for start in range(0, len(wanted), INDEX_TASK_BATCH):
        batch = wanted[start : start + INDEX_TASK_BATCH]
        transaction.on_commit(functools.partial(search_index_ids_task.delay, key=key, ids=batch), robust=True)


def reindex_on_commit(key: str, *object_ids: int) -> None:
    """For a few rows a service changed with ``QuerySet.update`` (no save signal): reindex
    them as a save would, once the transaction commits."""
    for object_id in object_ids:
        _later(index_one, key, object_id)


def index_one(key: str, object_id: int) -> None:
    """(Re)index one row, or remove its document when the row is gone."""
    kind = search.kind_get(key)
    if kind is None:
        return
    row = kind.model._base_manager.select_related(*kind.related).filter(pk=object_id).first()
    if row is None:
        index_remove(key, object_id)
        return
    index_rows(kind, [row])


def index_remove(key: str, object_id: int) -> None:
    SearchDocument.objects.filter(kind=key, object_id=object_id).delete()


# --- kept current on save ------------------------------------------------------------------


def _later(fn: Callable[..., None], *args: Any) -> None:
    # robust: a failure to index is logged, never turned into an error of the save that
    # already committed (search_rebuild repairs the index)
    transaction.on_commit(functools.partial(fn, *args), robust=True)


def _saved(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # loaddata: the rebuild indexes fixtures
        return
    for kind in search.kinds_of_model(sender):
        _later(index_one, kind.key, instance.pk)


def _deleted(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    for kind in search.kinds_of_model(sender):
        _later(index_remove, kind.key, instance.pk)


def _watcher(key: str, ids_of: Callable[[Any], Iterable[int]]) -> Callable[..., None]:
    def changed(sender: type[Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if raw:
            return
        for object_id in ids_of(instance):
            if object_id is not None:
                _later(index_one, key, object_id)

    return changed


_watchers: dict[str, Callable[..., None]] = {}


def connect(kind: search.SearchKind) -> None:
    """Connect the index to the saves of ``kind``'s model and of what it watches (once)."""
    post_save.connect(_saved, sender=kind.model, dispatch_uid=f"search.saved.{kind.model._meta.label}")
    post_delete.connect(_deleted, sender=kind.model, dispatch_uid=f"search.deleted.{kind.model._meta.label}")
    for number, (model, ids_of) in enumerate(kind.watch):
        uid = f"search.watch.{kind.key}.{number}"
        _watchers[uid] = _watcher(kind.key, ids_of)
        post_save.connect(_watchers[uid], sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_watchers[uid], sender=model, dispatch_uid=uid + ".delete")


# --- the rebuild ---------------------------------------------------------------------------


@system_read("the rebuild indexes every row of every bureau; who finds it is decided at query time")
def _batches(kind: search.SearchKind, size: int) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = list(
            kind.model._base_manager.select_related(*kind.related).filter(pk__gt=last).order_by("pk")[:size]
        )
        if not rows:
            return
        yield rows
        last = rows[-1].pk


@system_read("the rebuild drops the documents of rows that no longer exist, in every bureau")
def _drop_orphans(kind: search.SearchKind) -> int:
    existing = kind.model._base_manager.values("pk")
    return SearchDocument.objects.filter(kind=kind.key).exclude(object_id__in=existing).delete()[0]


def rebuild(
    *, keys: Iterable[str] = (), batch: int = 500, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Index every row of the named kinds (all when none), in batches of ``batch``, and drop
    documents of rows gone and of kinds no longer registered. Returns documents per kind."""
    wanted = set(keys)
    chosen = [kind for kind in search.kinds() if not wanted or kind.key in wanted]
    done: dict[str, int] = {}
    if not wanted:
        SearchDocument.objects.exclude(kind__in=[kind.key for kind in chosen]).delete()
    for kind in chosen:
        started = time.perf_counter()
        count = 0
        for rows in _batches(kind, batch):
            with transaction.atomic():
                count += index_rows(kind, rows)
            if progress:
                progress(f"{kind.key}: {count}")
        dropped = _drop_orphans(kind)
        done[kind.key] = count
        if progress:
            seconds = time.perf_counter() - started
            progress(f"{kind.key}: {count} indexed, {dropped} removed in {seconds:.1f} s")
    return done
