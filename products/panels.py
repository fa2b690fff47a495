"""Dashboard panels of the product engine (forecasters): latest runs and failed runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from portal.dashboard import Panel, PanelItem, register
from portal.models import Role
from portal.timefmt import format_time

from . import selectors
from .methods.registry import METHODS

if TYPE_CHECKING:
    from portal.tenancy import Actor


def _title(method: str) -> str:
    spec = METHODS.get(method)
    if spec is None:
        return method
    from django.utils.translation import get_language

    return spec.title_en if (get_language() or "").startswith("en") else spec.title_zh


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return format_time(moment, style="short")


@register(Role.FORECASTER)
def latest_runs(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    runs = selectors.runs_latest(actor=actor, limit=5)
    return Panel(
        key="product-runs",
        title=_("Latest product runs"),
        count=len(runs),
        items=[
            PanelItem(
                label=f"{_title(r.method)} #{r.pk}",
                url=r.get_absolute_url(),
                meta=f"{r.get_status_display()} · {_when(r.finished_at or r.created_at)}",
                level="danger" if r.status == "failed" else "",
            )
            for r in runs
        ],
        url=reverse("products:gallery"),
        empty_text=_("No product has been run yet."),
    )


@register(Role.FORECASTER)
def failed_runs(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    failed = selectors.runs_failed(actor=actor).filter(bureau_id=actor.bureau_id)
    items = [
        PanelItem(
            label=f"{_title(r.method)} #{r.pk}", url=r.get_absolute_url(), meta=r.error[:60], level="danger"
        )
        for r in failed[:5]
    ]
    return Panel(
        key="product-failures",
        title=_("Failed product runs"),
        count=failed.count(),
        items=items,
        url=reverse("products:run-list") + "?status=failed",
        empty_text=_("No failed runs."),
    )
