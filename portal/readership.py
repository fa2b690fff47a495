"""Who read what: every view of a report of any kind is recorded here, from any app.

``record_view`` is called by the views that show a report (its page, its phone page, its
PDF); it costs one INSERT and never fails the page (a reading that cannot be written is
logged and dropped: nobody should lose a report because the tally hiccupped).
``channel_of(request)`` tells the phone from the desk by the browser's own hint.

The reads: ``report_readers`` (on a report, who of its recipients read it and when; only
people of the report's own bureau see it), ``views_per_day`` and ``most_read`` (the bureau
admin's chart and list). ``ReportView`` is not a ``TenantOwned`` model: each read names its
bureau, and only the actor's own bureau is ever counted.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Membership, ReportView, Role, User
from .timefmt import BEIJING
from .timefmt import today as beijing_today

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet
    from django.http import HttpRequest

    from .models import Bureau
    from .tenancy import Actor

logger = logging.getLogger(__name__)

Channel = ReportView.Channel
_PHONE_HINTS = ("mobile", "android", "iphone", "ipod", "windows phone", "micromessenger")
# The roles a bureau's reports are meant for (a reporter sends data in, it reads no report).
RECIPIENT_ROLES = (
    Role.FORECASTER,
    Role.CHAIR,
    Role.APPROVER,
    Role.VIEWER,
    Role.EXPERT,
    Role.BUREAU_ADMIN,
)
PERIODS = (7, 30, 90, 180, 365)  # days the admin's page offers


def channel_of(request: HttpRequest, *, pdf: bool = False) -> str:
    """PDF for a download; phone when the browser says it is one (the ``Sec-CH-UA-Mobile``
    client hint, or a mobile user agent); else the web page."""
    if pdf:
        return Channel.PDF
    if request.headers.get("Sec-CH-UA-Mobile") == "?1":
        return Channel.PHONE
    agent = request.headers.get("User-Agent", "").lower()
    return Channel.PHONE if any(hint in agent for hint in _PHONE_HINTS) else Channel.WEB


def record_view(
    *,
    request: HttpRequest,
    report_kind: str,
    report_id: int,
    bureau_id: int,
    version: int = 1,
    pdf: bool = False,
) -> None:
    """Record that the signed-in person read this report now (nothing for anonymous, nothing
    for a HEAD request).

    Call it only once the page is served (after the visibility check). One INSERT: in
    autocommit it is its own statement; inside a transaction a savepoint keeps a failed
    INSERT from breaking the page's transaction."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.method != "GET":
        return  # a HEAD (a link checker, a prefetch) reads nothing
    view = ReportView(
        user_id=user.pk,
        bureau_id=bureau_id,
        report_kind=report_kind,
        report_id=report_id,
        version=version or 1,
        channel=channel_of(request, pdf=pdf),
        viewed_at=timezone.now(),
    )
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                view.save(force_insert=True)
        else:
            view.save(force_insert=True)
    except DatabaseError:  # the tally never costs the reader the report
        logger.exception("report view of %s %s not recorded", report_kind, report_id)


# --- who read a report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """One person's readings of one report (count 0: a recipient who has not read it)."""

    user_id: int
    name: str
    bureau_code: str
    roles: tuple[str, ...] = ()  # role labels in the report's bureau (recipients)
    first_read: dt.datetime | None = None
    last_read: dt.datetime | None = None
    count: int = 0
    channels: tuple[str, ...] = ()  # channel labels
    versions: tuple[int, ...] = ()  # the versions read, in order
    last_version: int | None = None


@dataclass(frozen=True)
class Readership:
    recipients: list[Reader]  # the bureau's recipients, readers first (latest first)
    others: list[Reader]  # readers who are not recipients (national units reading it)

    @property
    def read(self) -> int:
        return sum(1 for r in self.recipients if r.count)

    @property
    def total(self) -> int:
        return len(self.recipients)


def can_see_readers(actor: Actor | None, bureau_id: int | None) -> bool:
    """Only the people of the report's own bureau see who read it."""
    if actor is None or bureau_id is None:
        return False
    return actor.is_system_admin or (actor.bureau_id is not None and actor.bureau_id == bureau_id)


def can_view_readership(actor: Actor | None) -> bool:
    """The bureau admin sees the bureau's reading figures (chart, most read, the page)."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)


def report_readers(
    *,
    actor: Actor | None,
    report_kind: str,
    report_id: int,
    bureau: Bureau | int,
    version_ids: Iterable[int] = (),
) -> Readership | None:
    """Who of the report's recipients read it (first and last read, how often, how, which
    versions) and who else did; None for anyone outside the report's bureau (they see
    nothing of it). The caller has read the report through its kind's selector.

    ``version_ids``: the ids of the report's other versions where a kind keeps each version
    as a row of its own (a consultation report's correction): their readings count too,
    each with the version read."""
    bureau_id = bureau if isinstance(bureau, int) else bureau.pk
    if not can_see_readers(actor, bureau_id):
        return None
    ids = {report_id, *version_ids}
    readings = {
        row["user_id"]: row
        for row in ReportView.objects.filter(report_kind=report_kind, report_id__in=ids, bureau_id=bureau_id)
        .values("user_id")
        .annotate(
            first=Min("viewed_at"),
            last=Max("viewed_at"),
            n=Count("*"),
            channels=ArrayAgg("channel", distinct=True, default=[]),
            versions=ArrayAgg("version", order_by="-viewed_at", default=[]),
        )
        .order_by()
    }
    recipients: dict[int, tuple[Membership, list[str]]] = {}
    role_labels = dict(Role.choices)
    members = (
        Membership.objects.filter(
            bureau_id=bureau_id,
            revoked_at__isnull=True,
            user__is_active=True,
            role__in=RECIPIENT_ROLES,
        )
        .select_related("user", "bureau")
        .order_by("user_id", "role")
    )
    for membership in members:
        entry = recipients.setdefault(membership.user_id, (membership, []))
        label = str(role_labels.get(membership.role, membership.role))
        if label not in entry[1]:
            entry[1].append(label)
    others_users = _users_with_bureau(set(readings) - set(recipients), bureau_id=bureau_id)
    channel_labels = dict(Channel.choices)

    def reader(user_id: int, name: str, code: str, roles: tuple[str, ...]) -> Reader:
        row = readings.get(user_id)
        if row is None:
            return Reader(user_id=user_id, name=name, bureau_code=code, roles=roles)
        versions_latest_first = list(row["versions"])
        return Reader(
            user_id=user_id,
            name=name,
            bureau_code=code,
            roles=roles,
            first_read=row["first"],
            last_read=row["last"],
            count=row["n"],
            channels=tuple(str(channel_labels.get(c, c)) for c in sorted(row["channels"])),
            versions=tuple(sorted(set(versions_latest_first))),
            last_version=versions_latest_first[0] if versions_latest_first else None,
        )

    far = dt.datetime.min.replace(tzinfo=dt.UTC)
    listed = [
        reader(uid, m.user.label, m.bureau.code, tuple(labels)) for uid, (m, labels) in recipients.items()
    ]
    listed.sort(key=lambda r: (r.count == 0, -(r.last_read or far).timestamp(), r.name))
    others = [
        reader(uid, user.label, code, ()) for uid, (user, code) in others_users.items() if uid in readings
    ]
    others.sort(key=lambda r: -(r.last_read or far).timestamp())
    return Readership(recipients=listed, others=others)


def _users_with_bureau(user_ids: set[int], *, bureau_id: int) -> dict[int, tuple[User, str]]:
    """user id → (user, the code of a bureau they hold a role in) for readers who are not
    recipients; a person of the report's own bureau (a reporter) shows its code."""
    if not user_ids:
        return {}
    codes: dict[int, str] = {}
    for membership in (
        Membership.objects.filter(user_id__in=user_ids, revoked_at__isnull=True)
        .select_related("bureau")
        .order_by("bureau__code")
    ):
        if membership.bureau_id == bureau_id or membership.user_id not in codes:
            codes[membership.user_id] = membership.bureau.code
    return {u.pk: (u, codes.get(u.pk, "")) for u in User.objects.filter(pk__in=user_ids)}


# --- a bureau's reading figures (its admin's chart and list) -----------------------------------


def _since(days: int, today: dt.date | None = None) -> tuple[dt.date, dt.datetime]:
    """The first Beijing day of the last ``days`` days (today included) and its midnight."""
    first = (today or beijing_today()) - dt.timedelta(days=days - 1)
    return first, dt.datetime.combine(first, dt.time.min, tzinfo=BEIJING)


def _bureau_views(*, actor: Actor, days: int, report_kind: str = "") -> QuerySet[ReportView]:
    if actor.bureau_id is None:
        return ReportView.objects.none()
    _first, start = _since(days)
    qs = ReportView.objects.filter(bureau_id=actor.bureau_id, viewed_at__gte=start)
    return qs.filter(report_kind=report_kind) if report_kind else qs


def views_per_day(
    *, actor: Actor, days: int = 90, report_kind: str = "", today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """Views of the actor's bureau's reports per Beijing day over the last ``days`` days,
    oldest first, days without views included (0). Reads the (bureau, viewed_at) index only."""
    first, start = _since(days, today)
    if actor.bureau_id is None:
        return [(first + dt.timedelta(days=i), 0) for i in range(days)]
    qs = ReportView.objects.filter(bureau_id=actor.bureau_id, viewed_at__gte=start)
    if report_kind:
        qs = qs.filter(report_kind=report_kind)
    counts = dict(
        qs.annotate(day=TruncDate("viewed_at", tzinfo=BEIJING))
        .values("day")
        .annotate(n=Count("*"))
        .order_by()
        .values_list("day", "n")
    )
    return [(day, counts.get(day, 0)) for day in (first + dt.timedelta(days=i) for i in range(days))]


def most_read(*, actor: Actor, days: int = 90, report_kind: str = "") -> QuerySet[Any, Any]:
    """The actor's bureau's reports by views over the last ``days`` days, most read first:
    rows of ``report_kind``, ``report_id``, ``views``, ``last_read``. (No distinct count
    here: it would make PostgreSQL sort every view instead of hashing; ``readers_of``
    counts the people of the few rows shown.)"""
    return (
        _bureau_views(actor=actor, days=days, report_kind=report_kind)
        .values("report_kind", "report_id")
        .annotate(views=Count("*"), last_read=Max("viewed_at"))
        .order_by("-views", "-last_read", "report_kind", "report_id")
    )


def readers_of(*, actor: Actor, days: int, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """How many people of any bureau read each of these reports of the actor's bureau over
    the last ``days`` days (through the per-report index)."""
    condition = Q()
    for kind, report_id in keys:
        condition |= Q(report_kind=kind, report_id=report_id)
    if not condition:
        return {}
    rows = (
        _bureau_views(actor=actor, days=days)
        .filter(condition)
        .values("report_kind", "report_id")
        .annotate(n=Count("user_id", distinct=True))
        .order_by()
    )
    return {(r["report_kind"], r["report_id"]): r["n"] for r in rows}


@dataclass(frozen=True)
class ReadReport:
    """A line of the most read list: the report's title and link where a kind resolves it."""

    report_kind: str
    report_id: int
    kind_label: str
    title: str
    url: str
    views: int
    readers: int
    last_read: dt.datetime | None
    version: int | None = None


def read_reports(*, actor: Actor, entries: list[dict[str, Any]], days: int = 90) -> list[ReadReport]:
    """Titles and links of ``most_read`` rows through the report kinds' ``lookup``; a report no
    kind resolves (a kind not installed, a report gone) shows as kind and id."""
    from . import report_index

    keys = [(str(e["report_kind"]), int(e["report_id"])) for e in entries]
    rows = report_index.rows_by_key(actor=actor, keys=keys)
    people = readers_of(actor=actor, days=days, keys=keys)
    labels = {k.key: str(k.label) for k in report_index.kinds()}
    lines = []
    for entry, key in zip(entries, keys, strict=True):
        row = rows.get(key)
        lines.append(
            ReadReport(
                report_kind=key[0],
                report_id=key[1],
                kind_label=labels.get(key[0], key[0]),
                title=row.title if row else f"{labels.get(key[0], key[0])} #{key[1]}",
                url=row.url if row else "",
                views=int(entry["views"]),
                readers=people.get(key, 0),
                last_read=entry["last_read"],
                version=row.version if row else None,
            )
        )
    return lines
