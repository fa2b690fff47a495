"""The portal's one search: the kinds of things each app lets people find.

The portal core imports no app above it, so each app registers a :class:`SearchKind` from its
``AppConfig.ready()`` (like ``portal.report_index``): the model (a ``TenantOwned`` one), and
how one row becomes a :class:`SearchDoc` (title, body, date, link). The indexing
(``portal.search_services``) and the query (``portal.search_selectors``) live here at the
bottom and work for every kind alike:

* **kept current on every save**: registering a kind connects ``post_save`` / ``post_delete``
  of its model (and of the rows it ``watch``-es, such as an anomaly's verification report) to
  an index update run on commit. A signal rather than a call in each service: the writes of
  these ~15 models are spread over some forty services and the workflow engine, and a
  service added later would be silently missed; the signal is connected once, here, by the
  registry, and the work it does is deferred to the commit (nothing is indexed for a
  transaction that rolls back). Bulk ``update()`` / ``bulk_create`` send no signal: code that
  writes so calls ``search_services.index_rows`` itself, and ``manage.py search_rebuild``
  redoes everything.
* **tenancy as for every read**: a document is found only when its row is in
  ``model.objects.visible_to(actor)`` (a semi-join in the query itself), so a draft of another
  bureau is never found, counted or hinted at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable

    from django.db.models import Model
    from django.utils.functional import Promise

#: what a document keeps of a long text (reports' sections): enough for the words that matter
BODY_LIMIT = 20_000
TITLE_LIMIT = 300


@dataclass(frozen=True)
class SearchDoc:
    """What the index keeps of one row."""

    title: str
    body: str = ""
    url: str = ""
    date: dt.datetime | None = None  # what the date filter narrows by (origin, onset, meeting …)


@dataclass(frozen=True)
class SearchKind:
    key: str  # "event", "anomaly", "meeting", … (the API's ``kind``)
    label: Promise | str
    model: type[Model]  # a portal.tenancy.TenantOwned model: visible_to(actor) decides
    document: Callable[[Any], SearchDoc]
    # select_related for reading rows to index (what ``document`` touches)
    related: tuple[str, ...] = ()
    # other models whose save or delete changes this kind's document: (model, row -> ids of ours)
    watch: tuple[tuple[type[Model], Callable[[Any], Iterable[int]]], ...] = field(default=())
    order: int = 100  # where its group stands on the results page


_KINDS: dict[str, SearchKind] = {}


def register(kind: SearchKind) -> SearchKind:
    """Add an app's searchable kind and keep it indexed on save (idempotent)."""
    from . import search_services  # the registry wires the writes in, once per kind

    _KINDS[kind.key] = kind
    search_services.connect(kind)
    return kind


def kinds() -> list[SearchKind]:
    return sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.key))


def kind_get(key: str) -> SearchKind | None:
    return _KINDS.get(key)


def kinds_of_model(model: type[Model]) -> list[SearchKind]:
    return [kind for kind in _KINDS.values() if kind.model is model]


def text_of(*parts: Any) -> str:
    """Non-empty parts joined by newlines (None and blanks dropped); nested JSON (a report's
    sections) contributes its strings."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if value is None:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in _SHAPE_KEYS:
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            if value.strip() and not _looks_like_data(value):
                out.append(value.strip())
        elif not isinstance(value, bool | int | float):
            text = str(value).strip()
            if text:
                out.append(text)

    for part in parts:
        walk(part)
    return "\n".join(out)[:BODY_LIMIT]


# GeoJSON in a report's JSON (a forecast's region): shapes, not words
_SHAPE_KEYS = frozenset({"type", "coordinates", "bbox", "geometry", "geometries", "crs"})
# a lowercase identifier alone ("fluid", "low", "quick_report"): a code of the JSON, whose
# words the document gives elsewhere through its label in both languages
_CODE = re.compile(r"[a-z][a-z0-9_]*")


def _looks_like_data(value: str) -> bool:
    """Ids, codes, URLs, digests and base64 in a report's JSON are not words anyone searches for."""
    return (
        value.startswith(("http://", "https://", "/", "data:"))
        or (len(value) >= 32 and " " not in value)
        or _CODE.fullmatch(value) is not None
    )


def both(label: Any) -> str:
    """A translatable label in Chinese and English, so either language's word finds it."""
    from django.utils import translation

    with translation.override("zh-hans"):
        zh = str(label)
    with translation.override("en"):
        en = str(label)
    return zh if zh == en else f"{zh} {en}"


def in_chinese(label: Any) -> str:
    """A translatable label as the index's titles show it (the portal's default language)."""
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(label)
