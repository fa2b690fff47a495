"""Dashboard panels of the portal core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import readership as reading
from . import selectors, waiting
from .charts import day_bars
from .dashboard import EVERYONE, SYSTEM_ADMIN, Panel, PanelItem, register
from .models import Role
from .readership import can_view_readership

if TYPE_CHECKING:
    from .models import Notification
    from .tenancy import Actor


def _notification_item(notification: Notification, link: selectors.NotificationLink) -> PanelItem:
    """A link only where it opens: into the notification's bureau through the switcher, or
    to the list of notifications when its page is in a bureau the person left."""
    return PanelItem(
        label=notification.title,
        url=link.url or reverse("notifications"),
        meta=notification.body[:80],
        level=notification.level,
        switch_to=link.switch_to,
    )


@register(EVERYONE)
def unread_notifications(actor: Actor) -> Panel:
    unread = selectors.notification_list(user=actor.user, unread_only=True)
    shown = list(unread[:5])
    links = selectors.notification_links(actor=actor, notifications=shown)
    return Panel(
        key="notifications",
        title=_("Unread notifications"),
        count=unread.count(),
        items=[_notification_item(n, link) for n, link in zip(shown, links, strict=True)],
        url=reverse("notifications"),
        empty_text=_("Nothing new."),
    )


@register(EVERYONE)
def waiting_for_me(actor: Actor) -> Panel:
    """The work whose next step is this person's, across the apps (``portal.waiting``)."""
    items = waiting.waiting_for(actor)
    return Panel(
        key="waiting",
        title=_("Waiting for me"),
        count=len(items),
        items=[PanelItem(label=i.label, url=i.url, meta=i.what, level=i.level) for i in items[:8]],
        url=reverse("notifications") + "#waiting",
        empty_text=_("Nothing is waiting for you."),
    )


@register(Role.BUREAU_ADMIN)
def bureau_people(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    summary = selectors.bureau_people_summary(bureau=actor.bureau)
    labels = dict(Role.choices)
    inactive = selectors.bureau_inactive_people(bureau=actor.bureau)
    items = [PanelItem(label=str(labels.get(role, role)), meta=str(n)) for role, n in sorted(summary.items())]
    items += [
        PanelItem(
            label=_("Deactivated: %(name)s") % {"name": u.label},
            url=reverse("person-detail", args=[u.pk]),
            level="warning",
        )
        for u in inactive[:5]
    ]
    return Panel(
        key="people",
        title=_("People and roles of %(bureau)s") % {"bureau": actor.bureau.name_zh},
        count=sum(summary.values()),
        items=items,
        url=reverse("people-list"),
    )


@register(SYSTEM_ADMIN)
def bureaus_overview(actor: Actor) -> Panel:
    bureaus = selectors.bureau_list(actor=actor)
    missing = bureaus.filter(jurisdiction__isnull=True)
    return Panel(
        key="bureaus",
        title=_("Bureaus"),
        count=bureaus.count(),
        items=[
            PanelItem(
                label=_("%(code)s has no jurisdiction yet") % {"code": b.code},
                url=reverse("bureau-admin-edit", args=[b.code]),
                level="warning",
            )
            for b in missing[:10]
        ],
        url=reverse("bureau-admin-list"),
        empty_text=_("Every bureau has a jurisdiction."),
    )


@register(Role.BUREAU_ADMIN)
def readership(actor: Actor) -> Panel | None:
    """Views of the bureau's reports per day over 90 days, and the ten most read."""
    if not can_view_readership(actor):
        return None
    days = 90
    points = reading.views_per_day(actor=actor, days=days)
    top = reading.read_reports(
        actor=actor, entries=list(reading.most_read(actor=actor, days=days)[:10]), days=days
    )
    return Panel(
        key="readership",
        title=_("Who read the reports (last %(days)s days)") % {"days": days},
        count=sum(n for _day, n in points),
        items=[
            PanelItem(
                label=f"{line.kind_label} · {line.title}",
                url=line.url,
                meta=ngettext("%(n)s view", "%(n)s views", line.views) % {"n": line.views},
            )
            for line in top
        ],
        url=reverse("readership-manage"),
        empty_text=_("No report was read in these days."),
        template="portal/_readership_panel.html",
        context={"chart": day_bars(points)},
    )
