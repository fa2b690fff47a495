"""``{% report_readers kind id bureau %}``: on a report's page, who of its recipients read it.

Shown only to people of the report's own bureau (``portal.readership.report_readers``
answers None for others, and the tag renders nothing). ``version=`` marks the readers who
last read another version; ``version_ids=`` counts the readings of the report's other
versions where each version is a row of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from portal.readership import report_readers as readers_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.models import Bureau

register = template.Library()


@register.inclusion_tag("portal/_report_readers.html", takes_context=True)
def report_readers(
    context: template.Context,
    report_kind: str,
    report_id: int,
    bureau: Bureau | int,
    version: int | None = None,
    version_ids: Iterable[int] = (),
) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "actor", None) or context.get("actor")
    readership = readers_of(
        actor=actor,
        report_kind=report_kind,
        report_id=report_id,
        bureau=bureau,
        version_ids=version_ids or (),
    )
    return {
        "readership": readership,
        "version": version,
        "report_kind": report_kind,
        "report_id": report_id,
        "LANGUAGE_CODE": context.get("LANGUAGE_CODE"),
    }
