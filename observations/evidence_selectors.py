"""Reads of the evidence of data (observations.evidence): the stored channel-days beside
the hashes they had when received, for ``series_verify`` (the system reads every bureau's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Exists, OuterRef

from observations.models import Channel, ObservationItem, SeriesDay, SeriesDayEvidence, Station
from portal.tenancy import system_read

if TYPE_CHECKING:
    import datetime as dt


@dataclass(frozen=True)
class EvidenceRow:
    """One channel-day's evidence, with what is stored now (``blob`` None: no day row)."""

    id: int
    channel_id: int
    day: dt.date
    sha256: str
    recorded_in_id: int
    interval: int
    station: str
    item: str
    orientation: str
    blob: bytes | None


def _names() -> dict[str, str]:
    return {
        "evidence": SeriesDayEvidence._meta.db_table,
        "day": SeriesDay._meta.db_table,
        "channel": Channel._meta.db_table,
        "station": Station._meta.db_table,
        "item": ObservationItem._meta.db_table,
    }


@system_read("series_verify hashes every bureau's stored channel-days again, as the system")
def evidence_batch(*, after_id: int, limit: int, bureau_id: int | None = None) -> list[EvidenceRow]:
    """The next ``limit`` evidence rows after ``after_id`` (keyset on the id) with the stored
    day's samples in ``array_send`` form (observations.series_codec), NaN for gaps."""
    t = _names()
    where = "e.id > %s" + (" AND e.bureau_id = %s" if bureau_id is not None else "")
    params = [after_id, *([bureau_id] if bureau_id is not None else []), limit]
    sql = (
        "SELECT e.id, e.channel_id, e.day, e.sha256, e.recorded_in_id, c.interval, s.code, i.code,"  # noqa: S608 - table names are the models'
        " c.orientation, array_send(array_replace(d.values, NULL, 'NaN'::real))"
        f" FROM {t['evidence']} e JOIN {t['channel']} c ON c.id = e.channel_id"
        f" JOIN {t['station']} s ON s.id = c.station_id JOIN {t['item']} i ON i.id = c.item_id"
        f" LEFT JOIN {t['day']} d ON d.channel_id = e.channel_id AND d.day = e.day"
        f" WHERE {where} ORDER BY e.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            EvidenceRow(*row[:9], blob=bytes(row[9]) if row[9] is not None else None)  # type: ignore[misc]
            for row in cursor.fetchall()
        ]


@system_read("series_verify counts the stored channel-days that have no evidence, as the system")
def unevidenced_days(*, bureau_id: int | None = None) -> int:
    """Stored channel-days with no evidence row (stored before evidence was kept, or not
    through the ingest path)."""
    days = SeriesDay.objects.all()
    if bureau_id is not None:
        days = days.filter(bureau_id=bureau_id)
    evidence = SeriesDayEvidence.objects.filter(channel_id=OuterRef("channel_id"), day=OuterRef("day"))
    return days.exclude(Exists(evidence)).count()
