"""Dashboard panel of post-quake cases: the open cases and their deadlines, for the chair and
the forecasters (the duty team)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.dashboard import Panel, PanelItem, register
from portal.models import Role
from portal.timefmt import format_time

from . import selectors
from .models import CaseState

if TYPE_CHECKING:
    from portal.tenancy import Actor


@register(Role.CHAIR, Role.FORECASTER)
def open_cases(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    cases = selectors.case_list(actor=actor, state=CaseState.OPEN).filter(bureau=actor.bureau)
    now = timezone.now()
    return Panel(
        key="postquake-open",
        title=_("Open post-quake cases"),
        count=cases.count(),
        items=[
            PanelItem(
                label=str(case.event),
                url=case.get_absolute_url(),
                meta=_("first opinion due %(time)s") % {"time": format_time(case.due_at)},
                level="danger" if case.due_at <= now else "warning",
            )
            for case in cases[:5]
        ],
        url=reverse("postquake:case-list"),
        empty_text=_("No open post-quake case."),
    )
