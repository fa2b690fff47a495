"""Danger zones and their quarterly tracking reports as searchable kinds (``portal.search``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import DangerZone, TrackingPlan, TrackingReport


def _zone(zone: DangerZone) -> search.SearchDoc:
    plans = [text for plan in zone.plans.all() for text in (plan.items, plan.catalogs, plan.notes)]
    return search.SearchDoc(
        title=f"{zone.year} {zone.name}",
        body=search.text_of(
            zone.basis,
            *plans,
            f"M{zone.min_magnitude}",
            search.both(zone.get_level_display()),
            search.both(_("danger zone")),
        ),
        url=zone.get_absolute_url(),
        date=zone.published_at or zone.created_at,
    )


def _report(report: TrackingReport) -> search.SearchDoc:
    return search.SearchDoc(
        title=report.title,
        body=search.text_of(
            report.zone.name, report.body, report.judgement, search.both(_("quarterly tracking report"))
        ),
        url=report.get_absolute_url(),
        date=report.updated_at,
    )


def register_search_kinds() -> None:
    """From ``ZonesConfig.ready()``."""
    search.register(
        search.SearchKind(
            key="danger_zone",
            label=_("danger zones"),
            model=DangerZone,
            document=_zone,
            watch=((TrackingPlan, lambda plan: [plan.zone_id]),),
            order=75,
        )
    )
    search.register(
        search.SearchKind(
            key="tracking_report",
            label=_("tracking reports"),
            model=TrackingReport,
            document=_report,
            related=("zone",),
            order=76,
        )
    )
