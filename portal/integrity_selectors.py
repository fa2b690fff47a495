"""Reads of the audit chain, its anchors and the integrity checks (portal.integrity).

The chain and the checks belong to no bureau: the system admin reads them (pages), the
system walks them (commands, the check job)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection

from . import audit_chain
from .exceptions import NotFound
from .models import AuditAnchor, AuditEvent, IntegrityCheck, User

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Iterator

    from django.db.models import QuerySet

    from .tenancy import Actor

ROWS_PER_READ = 20_000


@dataclass(frozen=True)
class ChainHead:
    seq: int
    hash: str
    at: dt.datetime | None


def chain_head() -> ChainHead:
    """The last record's seq and hash (seq 0 and the genesis hash for an empty chain)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash", "created_at").first()
    if last is None:
        return ChainHead(0, audit_chain.GENESIS, None)
    return ChainHead(*last)


def chain_head_before(*, at: dt.datetime) -> ChainHead | None:
    """The last record written before ``at`` (``created_at`` index), or None before the first."""
    last = (
        AuditEvent.objects.filter(created_at__lt=at)
        .order_by("-created_at", "-seq")
        .values_list("seq", "hash", "created_at")
        .first()
    )
    return ChainHead(*last) if last else None


def chain_first_at() -> dt.datetime | None:
    return AuditEvent.objects.order_by("seq").values_list("created_at", flat=True).first()


def chain_rows(*, after_seq: int = 0, per_read: int = ROWS_PER_READ) -> Iterator[audit_chain.ChainRow]:
    """Every record after ``after_seq`` in ``seq`` order, read ``per_read`` at a time (keyset on
    the ``seq`` index, one short query each: no cursor held open over a long walk)."""
    table = AuditEvent._meta.db_table
    columns = ", ".join("extra::text" if c == "extra" else c for c in audit_chain.ROW_COLUMNS)
    sql = f"SELECT {columns} FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s"  # noqa: S608 - names are the model's
    last = after_seq
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [last, per_read])
            rows = cursor.fetchall()
        if not rows:
            return
        yield from audit_chain.chain_rows(rows)
        last = rows[-1][1]
        if len(rows) < per_read:
            return


def chain_rows_by_id(*, ids: Iterable[int]) -> dict[int, audit_chain.ChainRow]:
    """Records by id (the ones other tables point at as evidence, e.g. SeriesDayEvidence)."""
    wanted = list(ids)
    if not wanted:
        return {}
    table = AuditEvent._meta.db_table
    columns = ", ".join("extra::text" if c == "extra" else c for c in audit_chain.ROW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = ANY(%s)", [wanted])  # noqa: S608 - names are the model's
        return {row.id: row for row in audit_chain.chain_rows(cursor.fetchall())}


def anchors(*, since: dt.date | None = None) -> QuerySet[AuditAnchor]:
    rows = AuditAnchor.objects.order_by("day")
    return rows.filter(day__gte=since) if since else rows


def anchor_on(*, day: dt.date) -> AuditAnchor | None:
    return AuditAnchor.objects.filter(day=day).first()


def last_anchor() -> AuditAnchor | None:
    return AuditAnchor.objects.order_by("-day").first()


def integrity_checks(*, actor: Actor | None, kind: str | None = None) -> QuerySet[IntegrityCheck]:
    """The checks the actor may read: all of them for a system admin, none for anyone else."""
    if actor is None or not actor.is_system_admin:
        return IntegrityCheck.objects.none()
    rows = IntegrityCheck.objects.select_related("requested_by")
    return rows.filter(kind=kind) if kind else rows


def integrity_check_get(*, actor: Actor | None, check_id: int) -> IntegrityCheck:
    check = integrity_checks(actor=actor).filter(pk=check_id).first()
    if check is None:
        raise NotFound()
    return check


def integrity_check_latest(*, kind: str, finished: bool = False) -> IntegrityCheck | None:
    """The newest check of ``kind`` (with ``finished``: the newest that came to an end)."""
    rows = IntegrityCheck.objects.filter(kind=kind).select_related("requested_by")
    if finished:
        rows = rows.filter(status=IntegrityCheck.Status.DONE)
    return rows.order_by("-created_at", "-id").first()


def integrity_check_open(*, kind: str) -> IntegrityCheck | None:
    """The check of ``kind`` queued or running, if any (one at a time)."""
    return (
        IntegrityCheck.objects.filter(
            kind=kind, status__in=[IntegrityCheck.Status.QUEUED, IntegrityCheck.Status.RUNNING]
        )
        .order_by("-created_at")
        .first()
    )


def integrity_checks_unfinished(*, started_before: dt.datetime, queued_before: dt.datetime) -> list[int]:
    """Ids of the checks the watchdog must end: running since before ``started_before`` or
    queued since before ``queued_before``."""
    rows = IntegrityCheck.objects.filter(
        status=IntegrityCheck.Status.RUNNING, started_at__lt=started_before
    ) | IntegrityCheck.objects.filter(status=IntegrityCheck.Status.QUEUED, created_at__lt=queued_before)
    return list(rows.values_list("pk", flat=True))


def system_admins() -> QuerySet[User]:
    """The people told when a check finds a break."""
    return User.objects.filter(is_superuser=True, is_active=True)
