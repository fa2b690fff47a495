"""Reads of the briefs (简报) and discipline reports (学科报告), and the catalog read a brief
is compiled from. Every query starts from ``visible_to(actor)``: a person's actor for the
pages, ``portal.tenancy.bureau_reader(bureau)`` for a brief compiled for its bureau.
``*_get`` raises NotFound for missing and not-yours alike."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, F, FloatField, Func, QuerySet

from catalog.models import Event
from portal.exceptions import NotFound
from portal.models import Bureau
from portal.tenancy import Actor, system_read

from .models import Brief, BriefSettings

if TYPE_CHECKING:
    from django.contrib.gis.geos import GEOSGeometry
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


# --- briefs ----------------------------------------------------------------------------------


def brief_list(
    *,
    actor: Actor | None,
    kind: str | None = None,
    discipline: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    bureau: str | None = None,
) -> QuerySet[Brief]:
    """Briefs ``actor`` may read (their own bureau's), newest first; ``start``/``end`` are
    Beijing dates the period ends on (inclusive)."""
    from portal.timefmt import BEIJING

    qs = Brief.objects.visible_to(actor).select_related("bureau", "discipline")
    if kind:
        qs = qs.filter(kind=kind)
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    if start:
        qs = qs.filter(period_end__gte=dt.datetime.combine(start, dt.time(0), tzinfo=BEIJING))
    if end:
        qs = qs.filter(
            period_end__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)
        )
    return qs.order_by("-period_end", "kind", "discipline__order", "-id")


def brief_get(*, actor: Actor | None, brief_id: int) -> Brief:
    try:
        return brief_list(actor=actor).get(pk=brief_id)
    except (Brief.DoesNotExist, ValueError, TypeError):
        raise NotFound from None


def brief_find(
    *, bureau: Bureau, kind: str, discipline_id: int | None, period_start: dt.datetime
) -> Brief | None:
    """The bureau's brief of that kind, discipline and period (the compilation's key)."""
    from portal.tenancy import bureau_reader

    return (
        Brief.objects.visible_to(bureau_reader(bureau))
        .filter(bureau=bureau, kind=kind, discipline_id=discipline_id, period_start=period_start)
        .select_related("bureau", "discipline")
        .first()
    )


def briefs_existing(*, bureau: Bureau, period_starts: list[dt.datetime]) -> set[tuple[str, int | None, Any]]:
    """(kind, discipline id, period start) of the bureau's briefs of those periods."""
    from portal.tenancy import bureau_reader

    return set(
        Brief.objects.visible_to(bureau_reader(bureau))
        .filter(bureau=bureau, period_start__in=period_starts)
        .values_list("kind", "discipline_id", "period_start")
    )


@system_read("a worker holding a brief's id; no person acts")
def brief_get_for_worker(*, brief_id: int) -> Brief | None:
    return Brief.objects.select_related("bureau", "discipline").filter(pk=brief_id).first()


@system_read("the bureau's own settings, for the system and the settings page")
def brief_settings_for(*, bureau: Bureau | int) -> BriefSettings:
    """The bureau's brief settings; an unsaved row with the defaults when none is stored."""
    bureau_id = bureau if isinstance(bureau, int) else bureau.pk
    return BriefSettings.objects.filter(bureau_id=bureau_id).first() or BriefSettings(bureau_id=bureau_id)


def bureaus_for_briefs() -> QuerySet[Bureau]:
    """Every active bureau: each gets its briefs."""
    return Bureau.objects.filter(is_active=True).order_by("code")


@system_read("a worker holding a bureau's id; no person acts")
def bureau_for_worker(*, bureau_id: int) -> Bureau | None:
    return Bureau.objects.filter(pk=bureau_id, is_active=True).first()


def brief_rows(
    *,
    actor: Actor | None,
    kinds: list[str],
    month_start: dt.datetime | None = None,
    month_end: dt.datetime | None = None,
    month_of_year: int | None = None,
    bureau: str = "",
    q: str = "",
    ids: list[int] | None = None,
    limit: int = 200,
) -> list[Brief]:
    """The report list's rows of briefs (``portal.report_index``), newest first."""
    qs = Brief.objects.visible_to(actor).filter(kind__in=kinds).select_related("bureau", "discipline")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if month_start is not None and month_end is not None:
        qs = qs.filter(period_end__gte=month_start, period_end__lt=month_end)
    if month_of_year is not None:
        qs = qs.filter(period_end__month=month_of_year)
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    if q:
        qs = qs.filter(title__icontains=q)
    return list(qs.order_by("-period_end", "-id")[:limit])


# --- the catalog a brief reads -----------------------------------------------------------------


class _NearArea(Func):
    """``ST_DWithin(location::geography, area::geography, metres)``: within ``metres`` of the
    area (inside it included), on the sphere."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression: Any, *, area: GEOSGeometry, metres: float) -> None:
        self.area_wkt, self.metres = area.wkt, float(metres)
        super().__init__(expression)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        sql = f"ST_DWithin(({inner})::geography, ST_GeomFromText(%s, 4326)::geography, %s, false)"
        return sql, [*params, self.area_wkt, self.metres]


class _DistanceKm(Func):
    """Great-circle distance in km from the point to the area (0 inside)."""

    output_field = FloatField()

    def __init__(self, expression: Any, *, area: GEOSGeometry) -> None:
        self.area_wkt = area.wkt
        super().__init__(expression)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        inner, params = compiler.compile(self.source_expressions[0])
        sql = f"ST_Distance(({inner})::geography, ST_GeomFromText(%s, 4326)::geography, false) / 1000.0"
        return sql, [*params, self.area_wkt]


def quakes_near_area(
    *, actor: Actor, area: GEOSGeometry, start: dt.datetime, end: dt.datetime, near_km: float
) -> QuerySet[Event]:
    """Events ``actor`` may read with origin time in ``[start, end)``, inside ``area`` or within
    ``near_km`` of it, annotated ``distance_km`` (0 inside), largest first."""
    return (
        Event.objects.visible_to(actor)  # type: ignore[return-value]
        .filter(origin_time__gte=start, origin_time__lt=end)
        .exclude(status="deleted")
        .filter(_NearArea(F("location"), area=area, metres=near_km * 1000.0))
        .annotate(distance_km=_DistanceKm(F("location"), area=area))
        .order_by(F("magnitude").desc(nulls_last=True), "-origin_time", "id")
    )
