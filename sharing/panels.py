"""What waits for a bureau's data stewards (and admins): other bureaus' requests to answer,
the overdue ones flagged; and the dashboard panel of the bureau's shared data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal import waiting
from portal.dashboard import Panel, PanelItem, register
from portal.models import Role
from portal.timefmt import format_time

from . import permissions, selectors
from .models import Level

if TYPE_CHECKING:
    from portal.tenancy import Actor


@waiting.register
def requests_waiting_for_me(actor: Actor) -> list[waiting.WaitingItem]:
    """Pending requests to the actor's bureau, for its stewards and admins."""
    if actor.bureau is None or not permissions.is_steward(actor, actor.bureau_id):
        return []
    now = timezone.now()
    return [
        waiting.WaitingItem(
            label=_("%(bureau)s asks for %(dataset)s")
            % {"bureau": request.requester_bureau.code, "dataset": request.dataset.title(get_language())},
            url=request.get_absolute_url(),
            what=(_("overdue since %(due)s") if request.is_overdue(now) else _("to answer by %(due)s"))
            % {"due": format_time(request.due_at)},
            since=request.created_at,
            level="danger" if request.is_overdue(now) else "",
            kind="data_request",
        )
        for request in selectors.requests_waiting(actor=actor)[:50]
    ]


@register(Role.DATA_STEWARD, Role.BUREAU_ADMIN)
def sharing_panel(actor: Actor) -> Panel | None:
    """Requests to answer (overdue first) and how the bureau's datasets are shared."""
    if actor.bureau is None:
        return None
    now = timezone.now()
    waiting_rows = list(selectors.requests_waiting(actor=actor)[:5])
    counts = selectors.level_counts(actor=actor)
    labels = dict(Level.choices)
    items = [
        PanelItem(
            label=_("%(bureau)s: %(dataset)s")
            % {"bureau": request.requester_bureau.code, "dataset": request.dataset.title(get_language())},
            url=request.get_absolute_url(),
            meta=(_("overdue since %(due)s") if request.is_overdue(now) else _("answer by %(due)s"))
            % {"due": format_time(request.due_at, style="short")},
            level="danger" if request.is_overdue(now) else "",
        )
        for request in waiting_rows
    ]
    items.append(
        PanelItem(
            label=", ".join(f"{labels[level]} {count}" for level, count in counts.items()),
            url=reverse("sharing:settings"),
            meta=_("our datasets"),
        )
    )
    return Panel(
        key="sharing",
        title=_("Data sharing"),
        count=len(waiting_rows),
        items=items,
        url=reverse("sharing:requests") + "?side=to_me",
        empty_text=_("No requests to answer."),
    )
