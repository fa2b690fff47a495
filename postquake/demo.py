"""Demo data of post-quake cases: JX's case on the largest quake of its demo catalog (the demo
sequence's mainshock), with its first draft computed in place. Idempotent (one case per
bureau and event)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from catalog.models import Event
from portal.models import Bureau

from .services import case_open, draft_build


def seed(stdout: Any) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _seed(stdout)


def _seed(stdout: Any) -> None:
    bureau = Bureau.objects.filter(code="JX").first()
    if bureau is None:
        return
    mainshock = (
        Event.objects.filter(bureau=bureau, magnitude__isnull=False)
        .exclude(status="deleted")
        .order_by("-magnitude", "-origin_time")
        .first()
    )
    if mainshock is None:
        return
    case = case_open(event_id=mainshock.pk, bureau_id=bureau.pk)
    if case is None:
        return
    case = draft_build(case_id=case.pk) or case
    stdout.write(f"postquake JX: case {case.pk} on {mainshock.public_id} (M{mainshock.magnitude})\n")
