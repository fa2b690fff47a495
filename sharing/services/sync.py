"""Datasets made from what bureaus hold, and kept up to date (the nightly beat job, the demo,
and a steward's "bring up to date" button).

One dataset per bureau and thing held: its catalog; each station with channels; each
observation item it records; each method with results, and each product schedule; each kind
of report it has published. A new dataset is offered on request (nothing reaches another
bureau until its steward approves, or opens it); its zone follows the seed's supermarket:
the catalog and a station's series are real-time data (生鲜区), results and reports
processed products (百货区), an item across the bureau's stations is cut to order (定制区).
New series make their station's and item's datasets at once (``datasets_ensure_series``,
from the ``series.written`` hook), described fully by the next nightly run.
The sync refreshes what the data say (coverage, period, record count, frequency); the words
only until a person edits them; and marks inactive what is no longer held (a deleted
schedule), which closes its openings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from observations.models import ObservationItem
from products.methods.registry import METHODS
from products.schedule_words import crontab_words
from sharing import selectors
from sharing.models import Dataset, DatasetKind, Frequency, Level, SharedReportKind, Zone
from sharing.selectors import Holding

if TYPE_CHECKING:
    import datetime as dt

    from django.contrib.gis.geos import GEOSGeometry

    from portal.models import Bureau

ZONES = {
    DatasetKind.CATALOG: Zone.REALTIME,
    DatasetKind.STATION_SERIES: Zone.REALTIME,
    DatasetKind.ITEM_SERIES: Zone.CUSTOM,
    DatasetKind.PRODUCT: Zone.PRODUCTS,
    DatasetKind.REPORTS: Zone.PRODUCTS,
}
REPORT_FREQUENCY = {
    SharedReportKind.TOPIC: Frequency.PER_EVENT,
    SharedReportKind.TREND: Frequency.MONTHLY,
    SharedReportKind.CONSULTATION: Frequency.IRREGULAR,
}


def _both(make: Any) -> tuple[str, str]:
    """``make()`` worded in Chinese and in English."""
    with translation.override("zh-hans"):
        zh = make()
    with translation.override("en"):
        en = make()
    return zh, en


def _period(holding: Holding) -> str:
    if holding.first is None:
        return _("no records yet")
    return _("%(count)d records, %(first)s to %(last)s") % {
        "count": holding.rows,
        "first": holding.first.isoformat(),
        "last": (holding.last or holding.first).isoformat(),
    }


def _describe(
    holding: Holding, bureau: Bureau, items: dict[int, ObservationItem]
) -> tuple[str, str, str, str, dict[str, Any]]:
    """(title zh, title en, description zh, description en, subject fields) of a holding."""
    subject: dict[str, Any] = {}
    if holding.kind == DatasetKind.CATALOG:
        titles = (f"{bureau.name_zh}地震目录", f"Earthquake catalog of {bureau.name_en}")
        words = _both(
            lambda: (
                _(
                    "Every quake the bureau located, automatic and formal solutions, drafts included. %(period)s."
                )
                % {"period": _period(holding)}
            )
        )
    elif holding.kind == DatasetKind.STATION_SERIES:
        station = holding.subject
        subject = {"station": station}
        titles = (
            f"{station.name_zh}（{station.code}）观测数据",
            f"Observations of {station.display_name('en')} ({station.code})",
        )
        words = _both(
            lambda: (
                _("The series of every channel of the station. %(period)s.") % {"period": _period(holding)}
            )
        )
    elif holding.kind == DatasetKind.ITEM_SERIES:
        item = items[holding.subject]
        subject = {"item": item}
        titles = (
            f"{bureau.name_zh}{item.name_zh}观测数据",
            f"{item.name_en} observations of {bureau.name_en}",
        )
        words = _both(
            lambda: (
                _("The %(item)s series of every station of the bureau that records it. %(period)s.")
                % {"item": item.display_name(translation.get_language()), "period": _period(holding)}
            )
        )
    elif holding.kind == DatasetKind.PRODUCT and isinstance(holding.subject, str):
        method = METHODS.get(holding.subject)
        zh_name, en_name = (
            (method.title_zh, method.title_en) if method else (holding.subject, holding.subject)
        )
        subject = {"method": holding.subject}
        titles = (f"{bureau.name_zh}{zh_name}产品", f"{en_name} results of {bureau.name_en}")
        words = _both(
            lambda: (
                _("Every successful run of the method by the bureau, with its figures. %(period)s.")
                % {"period": _period(holding)}
            )
        )
    elif holding.kind == DatasetKind.PRODUCT:
        schedule = holding.subject
        subject = {"method": schedule.method, "schedule": schedule, "for_schedule": True}
        titles = (f"{schedule.name}（定时产品）", f"{schedule.name} (scheduled product)")
        words = _both(
            lambda: (
                _("The results of the schedule's runs (%(crontab)s). %(period)s.")
                # the timing in the reader's words, and the crontab for those who read those
                % {
                    "crontab": f"{crontab_words(schedule.crontab_text)}: {schedule.crontab_text}",
                    "period": _period(holding),
                }
            )
        )
    else:
        report_kind = SharedReportKind(holding.subject)
        subject = {"report_kind": str(report_kind)}
        zh_kind, en_kind = _both(lambda: str(report_kind.label))
        titles = (f"{bureau.name_zh}{zh_kind}", f"{en_kind.capitalize()} of {bureau.name_en}")
        words = _both(
            lambda: (
                _("The reports the bureau published (issued, or built for a quake). %(period)s.")
                % {"period": _period(holding)}
            )
        )
    return titles[0], titles[1], words[0], words[1], subject


def _frequency(holding: Holding) -> str:
    if holding.kind == DatasetKind.CATALOG:
        return Frequency.REALTIME
    if holding.kind in (DatasetKind.STATION_SERIES, DatasetKind.ITEM_SERIES):
        return Frequency.REALTIME if holding.fast else Frequency.DAILY
    if holding.kind == DatasetKind.PRODUCT:
        return Frequency.SCHEDULED if not isinstance(holding.subject, str) else Frequency.IRREGULAR
    return REPORT_FREQUENCY[SharedReportKind(holding.subject)]


def _coverage(holding: Holding, bureau: Bureau) -> GEOSGeometry | None:
    if holding.coverage is not None:
        return holding.coverage
    return bureau.jurisdiction


@transaction.atomic
def datasets_sync(*, bureau_id: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Make and refresh the datasets of every bureau (or of ``bureau_id``) from what it holds;
    returns how many were made, refreshed and retired."""
    now = now or timezone.now()
    holdings = selectors.holdings_for_worker(bureau_id=bureau_id)
    existing = selectors.datasets_for_sync(bureau_id=bureau_id)
    bureaus = selectors.bureaus_for_sync(bureau_id=bureau_id)
    items = ObservationItem.objects.in_bulk(
        [h.subject for h in holdings if h.kind == DatasetKind.ITEM_SERIES]
    )
    made = refreshed = 0
    seen: set[tuple[int, str]] = set()
    for holding in holdings:
        bureau = bureaus.get(holding.bureau_id)
        if bureau is None:
            continue
        seen.add((holding.bureau_id, holding.key))
        title_zh, title_en, text_zh, text_en, subject = _describe(holding, bureau, items)
        facts: dict[str, Any] = {
            "coverage": _coverage(holding, bureau),
            "period_start": holding.first,
            "period_end": holding.last,
            "rows": holding.rows,
            "update_frequency": _frequency(holding),
            "is_active": True,
            "synced_at": now,
        }
        dataset = existing.get((holding.bureau_id, holding.key))
        if dataset is None:
            Dataset.objects.create(
                bureau=bureau,
                kind=holding.kind,
                key=holding.key,
                title_zh=title_zh,
                title_en=title_en,
                description_zh=text_zh,
                description_en=text_en,
                level=Level.ON_REQUEST,
                zone=ZONES[DatasetKind(holding.kind)],
                **subject,
                **facts,
            )
            made += 1
            continue
        if dataset.edited_at is None:
            facts.update(title_zh=title_zh, title_en=title_en, description_zh=text_zh, description_en=text_en)
        for name, value in facts.items():
            setattr(dataset, name, value)
        dataset.save(update_fields=[*facts, "updated_at"])
        refreshed += 1
    retired = [d.pk for key, d in existing.items() if key not in seen and d.is_active]
    if retired:
        Dataset.objects.filter(pk__in=retired).update(is_active=False, synced_at=now, updated_at=now)
    return {"made": made, "refreshed": refreshed, "retired": len(retired)}


@transaction.atomic
def datasets_ensure_series(*, bureau_id: int, channel_ids: list[int], now: dt.datetime | None = None) -> int:
    """Make the missing datasets of the stations and items of ``channel_ids`` (a bureau's
    first data of a new station): cheap, no aggregate over the series; the nightly sync
    fills in the period and the count. Returns how many were made."""
    now = now or timezone.now()
    channels = [c for c in selectors.channels_for_worker(channel_ids=channel_ids) if c.bureau_id == bureau_id]
    if not channels:
        return 0
    bureau = selectors.bureaus_for_sync(bureau_id=bureau_id).get(bureau_id)
    if bureau is None:
        return 0
    existing = selectors.datasets_for_sync(bureau_id=bureau_id)
    wanted: dict[str, Holding] = {}
    for channel in channels:
        fast = int(channel.interval) <= 60
        station = channel.station
        wanted.setdefault(
            f"station:{station.code}",
            Holding(
                bureau_id,
                f"station:{station.code}",
                DatasetKind.STATION_SERIES,
                0,
                None,
                None,
                subject=station,
                coverage=station.location,
                fast=fast,
            ),
        )
        wanted.setdefault(
            f"item:{channel.item.code}",
            Holding(
                bureau_id,
                f"item:{channel.item.code}",
                DatasetKind.ITEM_SERIES,
                0,
                None,
                None,
                subject=channel.item_id,
                coverage=station.location,
                fast=fast,
            ),
        )
    items = {c.item_id: c.item for c in channels}
    made = 0
    for key, holding in wanted.items():
        if (bureau_id, key) in existing:
            continue
        title_zh, title_en, text_zh, text_en, subject = _describe(holding, bureau, items)
        Dataset.objects.create(
            bureau=bureau,
            kind=holding.kind,
            key=key,
            title_zh=title_zh,
            title_en=title_en,
            description_zh=text_zh,
            description_en=text_en,
            level=Level.ON_REQUEST,
            zone=ZONES[DatasetKind(holding.kind)],
            coverage=holding.coverage,
            update_frequency=_frequency(holding),
            synced_at=now,
            **subject,
        )
        made += 1
    return made
