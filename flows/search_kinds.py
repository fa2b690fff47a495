"""Flows as a searchable kind (``portal.search``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Flow


def _flow(flow: Flow) -> search.SearchDoc:
    return search.SearchDoc(
        title=flow.name,
        body=search.text_of(flow.description, search.both(_("flow"))),
        url=flow.get_absolute_url(),
        date=flow.updated_at,
    )


def register_search_kinds() -> None:
    """From ``FlowsConfig.ready()``."""
    search.register(search.SearchKind(key="flow", label=_("flows"), model=Flow, document=_flow, order=60))
