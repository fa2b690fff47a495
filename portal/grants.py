"""Rows of another bureau opened by a grant: the registry ``visible_to`` reads.

A bureau shares a dataset (its catalog, a station's series, a method's results, a kind of
report) with other bureaus: open to all of them, on request (an approved request is a
grant with a scope and an expiry) or by a push (a standing grant to bureaus it chose).
Which rows of which model that opens to a person is decided by the app that knows about
datasets (``sharing``), above every app whose data it opens; the portal, at the bottom,
cannot import it. So the sharing app registers here, from its ``AppConfig.ready()``, one
source per model it opens::

    register_grant_source(Event, events_opened)            # fn(actor) -> Q | None

and ``TenantQuerySet.visible_to`` (``portal.tenancy``, still the one place that decides
visibility) adds what the sources return to the rows the actor reads, beside the own
bureau, ``PUBLISHED_Q``, ``shared_q`` and ``PUBLIC_Q``. A source's ``Q`` must be one
query's worth of SQL (an ``Exists`` over the grant table, no query of its own run in
Python), so that ``visible_to`` stays one indexed query; it checks the grant's expiry
against the database's clock, so a grant ends by itself, without a job.

``published_only``: a grant of reports opens what the owner has *published* of them
(issued, ready), never its drafts; tenancy applies the model's own ``PUBLISHED_Q`` to
such a source (nothing outside tenancy spells what published means).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db import models
    from django.db.models import Q

    from .tenancy import Actor

GrantSourceFunc = Callable[["Actor"], "Q | None"]

#: The audit action of a read of another bureau's rows that only a grant opened
#: (``portal.services.data_access_record``).
DATA_ACCESS_ACTION = "data.access"


@dataclass(frozen=True)
class GrantSource:
    func: GrantSourceFunc
    published_only: bool = False


_SOURCES: dict[str, list[GrantSource]] = {}


def _key(model: type[models.Model]) -> str:
    return model._meta.concrete_model._meta.label_lower  # type: ignore[union-attr]


def register_grant_source(
    model: type[models.Model], func: GrantSourceFunc, *, published_only: bool = False
) -> GrantSourceFunc:
    """Open rows of ``model`` to the bureaus ``func(actor)`` names (idempotent: ``ready()``
    may run twice in tests)."""
    source = GrantSource(func, published_only)
    sources = _SOURCES.setdefault(_key(model), [])
    if source not in sources:
        sources.append(source)
    return func


def sources_for(model: type[models.Model]) -> list[GrantSource]:
    """The grant sources registered for ``model`` (none for most models)."""
    return list(_SOURCES.get(_key(model), ()))


def models_with_sources() -> list[str]:
    """``app_label.model`` of every model some grant may open (for pages and tests)."""
    return sorted(label for label, sources in _SOURCES.items() if sources)
