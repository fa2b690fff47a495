"""Datasets of the data supermarket as a searchable kind (``portal.search``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Dataset


def _dataset(dataset: Dataset) -> search.SearchDoc:
    return search.SearchDoc(
        title=dataset.title_zh,
        body=search.text_of(
            dataset.title_en,
            dataset.description_zh,
            dataset.description_en,
            search.both(dataset.get_kind_display()),
            search.both(_("dataset")),
        ),
        url=dataset.get_absolute_url(),
        date=dataset.updated_at,
    )


def register_search_kinds() -> None:
    """From ``SharingConfig.ready()``."""
    search.register(
        search.SearchKind(key="dataset", label=_("datasets"), model=Dataset, document=_dataset, order=70)
    )
