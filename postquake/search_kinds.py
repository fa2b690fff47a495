"""Post-quake cases and their opinions as searchable kinds (``portal.search``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import PostQuakeCase, PostQuakeOpinion


def _event_words(event) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    magnitude = f"{event.magnitude_type}{event.magnitude:.1f}" if event.magnitude is not None else ""
    return event.location_name, magnitude


def _case(case: PostQuakeCase) -> search.SearchDoc:
    place, magnitude = _event_words(case.event)
    return search.SearchDoc(
        title=f"{place} {magnitude} {search.in_chinese(_('post-quake case'))}".strip(),
        body=search.text_of(
            f"{case.event.magnitude:.1f}" if case.event.magnitude is not None else "",
            search.both(_("post-quake case")),
            case.draft,
        ),
        url=case.get_absolute_url(),
        date=case.opened_at,
    )


def _opinion(opinion: PostQuakeOpinion) -> search.SearchDoc:
    place, magnitude = _event_words(opinion.case.event)
    return search.SearchDoc(
        title=f"{place} {magnitude} {search.in_chinese(_('post-quake opinion'))} #{opinion.number}".strip(),
        body=search.text_of(
            opinion.text,
            opinion.sequence_type,
            opinion.trigger,
            search.both(_("post-quake opinion")),
        ),
        url=opinion.get_absolute_url(),
        date=opinion.issued_at or opinion.created_at,
    )


def register_search_kinds() -> None:
    """From ``PostquakeConfig.ready()``."""
    search.register(
        search.SearchKind(
            key="postquake_case",
            label=_("post-quake cases"),
            model=PostQuakeCase,
            document=_case,
            related=("event",),
            order=44,
        )
    )
    search.register(
        search.SearchKind(
            key="postquake_opinion",
            label=_("post-quake opinions"),
            model=PostQuakeOpinion,
            document=_opinion,
            related=("case", "case__event"),
            order=45,
        )
    )
