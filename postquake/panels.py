"""Dashboard panel of post-quake cases for the chair and the forecasters (the duty team): the
open cases with a live countdown to each first opinion's deadline, then the opinions issued in
the last day, each with how long before or after its deadline; and what waits for a person:
opinions to issue, submit or sign off (``portal.waiting``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import waiting
from portal.dashboard import Panel, PanelItem, register
from portal.models import Role
from portal.timefmt import format_time

from . import selectors
from .models import CaseState, OpinionState
from .punctuality import clock_of
from .services import opinions as opinion_services

if TYPE_CHECKING:
    from portal.tenancy import Actor
    from postquake.models import PostQuakeCase

#: Issued opinions stay on the dashboard this long, with their punctuality.
ISSUED_SHOWN_FOR = dt.timedelta(days=1)


def _item(case: PostQuakeCase, now: dt.datetime) -> PanelItem:
    if case.state == CaseState.OPEN and case.issued_at is None:
        return PanelItem(
            label=str(case.event),
            url=case.get_absolute_url(),
            meta=_("first opinion due %(time)s") % {"time": format_time(case.due_at, style="short")},
            level="danger" if case.due_at <= now else "warning",
            deadline=case.due_at,
        )
    clock = clock_of(case, now)
    minutes = clock["minutes"] or 0
    if minutes == 0:
        meta = _("issued at the deadline")
    elif clock["after"]:
        meta = ngettext(
            "issued %(n)d min after the deadline", "issued %(n)d min after the deadline", minutes
        ) % {"n": minutes}
    else:
        meta = ngettext(
            "issued %(n)d min before the deadline", "issued %(n)d min before the deadline", minutes
        ) % {"n": minutes}
    return PanelItem(label=str(case.event), url=case.get_absolute_url(), meta=meta)


#: What the person is asked to do, by the step the workflow allows them next.
WAITING_WORDS = {
    "issue": gettext_lazy("to issue"),
    "submit": gettext_lazy("to submit for sign-off"),
    "sign_off": gettext_lazy("to sign off"),
}


@register(Role.CHAIR, Role.FORECASTER)
def open_cases(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    now = timezone.now()
    cases = selectors.cases_on_the_clock(actor=actor, since=now - ISSUED_SHOWN_FOR)
    open_count = cases.filter(state=CaseState.OPEN, issued_at__isnull=True).count()
    return Panel(
        key="postquake-open",
        title=_("Open post-quake cases"),
        count=open_count,
        items=[_item(case, now) for case in cases[:6]],
        url=reverse("postquake:case-list"),
        empty_text=_("No open post-quake case."),
    )


@waiting.register
def opinions_waiting(actor: Actor) -> list[waiting.WaitingItem]:
    """Opinions whose next step is this person's: the chair's proposed ones (to issue or to
    submit), the approver's submitted ones (to sign off)."""
    if actor.bureau is None:
        return []
    items = []
    now = timezone.now()
    for opinion in selectors.opinions_in_hand(
        actor=actor, states=[OpinionState.DRAFT, OpinionState.SUBMITTED]
    ):
        actions = [a for a in opinion_services.opinion_actions(actor, opinion) if a in WAITING_WORDS]
        if not actions:
            continue
        case = opinion.case
        overdue = case.state == CaseState.OPEN and case.due_at <= now
        what = str(WAITING_WORDS[actions[0]])
        if case.state == CaseState.OPEN:  # the first opinion, on its clock
            what = _("%(what)s, due %(time)s") % {"what": what, "time": format_time(case.due_at)}
        items.append(
            waiting.WaitingItem(
                label=_("Post-quake opinion No. %(n)s: %(event)s")
                % {"n": opinion.number, "event": case.event},
                url=opinion.get_absolute_url(),
                what=what,
                since=opinion.submitted_at if opinion.state == OpinionState.SUBMITTED else opinion.created_at,
                level="danger" if overdue else "warning",
                kind="postquake_opinion",
            )
        )
    return items
