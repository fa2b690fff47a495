"""The catalog's searchable kind: events, found by their place names (``portal.search``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Event


def _event(event: Event) -> search.SearchDoc:
    magnitude = f"{event.magnitude_type}{event.magnitude:.1f}" if event.magnitude is not None else ""
    return search.SearchDoc(
        title=f"{event.location_name} {magnitude}".strip() or event.public_id,
        body=search.text_of(
            f"{event.magnitude:.1f}" if event.magnitude is not None else "",
            search.both(_("earthquake")),
            event.public_id,
            event.external_id,
            event.source,
        ),
        url=event.get_absolute_url(),
        date=event.origin_time,
    )


def register_search_kinds() -> None:
    """From ``CatalogConfig.ready()``."""
    search.register(
        search.SearchKind(key="event", label=_("earthquakes"), model=Event, document=_event, order=10)
    )
