"""The special-topic report as a searchable kind (``portal.search``), and the gazetteer's
place names as the search's dictionary (``portal.search_text``)."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from portal import search, search_text

from .models import TopicReport

#: the gazetteer's Chinese place names, one a line (``manage.py search_places`` writes it)
PLACES_FILE = Path(__file__).resolve().parent / "data" / "search_places.txt"


def _topic_report(report: TopicReport) -> search.SearchDoc:
    event = report.event
    magnitude = f"{event.magnitude_type}{event.magnitude:.1f}" if event.magnitude is not None else ""
    return search.SearchDoc(
        title=f"{event.location_name} {magnitude} {search.in_chinese(_('special-topic report'))}".strip(),
        body=search.text_of(
            f"{event.magnitude:.1f}" if event.magnitude is not None else "",
            search.both(_("special-topic report")),
            f"v{report.event_version}",
            report.context,
        ),
        url=report.get_absolute_url(),
        date=event.origin_time,
    )


def register_search_kinds() -> None:
    """From ``ReportsConfig.ready()``."""
    search_text.register_dictionary(PLACES_FILE)
    search.register(
        search.SearchKind(
            key="topic_report",
            label=_("special-topic reports"),
            model=TopicReport,
            document=_topic_report,
            related=("event",),
            order=41,
        )
    )
