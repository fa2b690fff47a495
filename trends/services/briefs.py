"""Compiling briefs (简报) and discipline reports (学科报告): once per bureau, kind, discipline
and period (the ``brief_once_per_period`` constraint), on the beat's schedule or on demand.

* :func:`brief_compile` compiles a brief, or returns the one compiled before (``refresh``
  compiles its content again). A brief compiled for the first time is pushed on commit
  (``trends.brief_push``).
* :func:`briefs_due` is the beat's question: which briefs of each active bureau are due at
  ``now`` and not compiled yet. The daily brief is due once its time (``daily_at``, Beijing
  time) has passed; the weekly brief and the discipline reports on Mondays. Only the latest
  period of each kind is due, so a run the beat missed is caught up by the next one.
* :func:`brief_compile_on_demand` is a person's "compile now" (the page and the API).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disciplines import selectors as discipline_selectors
from portal import search_services
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.services import audit_record
from portal.timefmt import BEIJING, format_date
from trends import brief_selectors
from trends.brief_permissions import can_compile_brief, can_manage_brief_settings
from trends.models import Brief, BriefKind, BriefSettings

from .brief_compile import brief_content, period_of

if TYPE_CHECKING:
    from portal.models import Bureau, Discipline
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

EARLIEST_DAY = dt.date(2000, 1, 1)
SETTINGS_FIELDS = ("daily_at", "weekly", "discipline_reports", "b_value_max", "rate_z_min")


def brief_title(
    *, bureau: Bureau, kind: str, start: dt.datetime, end: dt.datetime, discipline: Discipline | None
) -> str:
    """The brief's title in the portal's language (it is stored; the list and pushes show it)."""
    with translation.override(settings.LANGUAGE_CODE):
        language = translation.get_language()
        name = bureau.display_name(language)
        last_day = format_date(end)
        first_day = format_date(start)
        if kind == BriefKind.DAILY:
            return _("%(bureau)s daily brief %(date)s") % {"bureau": name, "date": last_day}
        if kind == BriefKind.WEEKLY:
            return _("%(bureau)s weekly brief %(start)s – %(end)s") % {
                "bureau": name,
                "start": first_day,
                "end": last_day,
            }
        assert discipline is not None  # noqa: S101 - a discipline report has its discipline
        subject = discipline.name_en if (language or "").startswith("en") else discipline.name_zh
        return _("%(bureau)s %(discipline)s discipline report %(start)s – %(end)s") % {
            "bureau": name,
            "discipline": subject,
            "start": first_day,
            "end": last_day,
        }


def _enqueue_push(brief: Brief) -> None:
    from trends.brief_tasks import brief_push_task

    bureau_id, brief_id = brief.bureau_id, brief.pk
    transaction.on_commit(lambda: brief_push_task.delay(bureau_id=bureau_id, brief_id=brief_id))


def brief_compile_or_get(
    *,
    bureau: Bureau,
    kind: str,
    period_end: dt.datetime,
    discipline: Discipline | None = None,
    refresh: bool = False,
    push: bool = True,
) -> tuple[Brief, bool]:
    """(brief, created): the bureau's brief of ``kind`` for the period ending at ``period_end``.

    Idempotent: the brief compiled before is returned as it is, or compiled again with
    ``refresh``. A new brief is pushed on commit (unless ``push`` is off: the demo seed). ValueError for a discipline given to (or
    missing from) the wrong kind.
    """
    kind = BriefKind(kind)
    if (kind == BriefKind.DISCIPLINE) != (discipline is not None):
        raise ValueError("a discipline report needs a discipline; other briefs take none")
    options = brief_selectors.brief_settings_for(bureau=bureau)
    start = period_end - dt.timedelta(days=1 if kind == BriefKind.DAILY else 7)
    discipline_id = discipline.pk if discipline is not None else None
    existing = brief_selectors.brief_find(
        bureau=bureau, kind=kind, discipline_id=discipline_id, period_start=start
    )
    if existing is not None and not refresh:
        return existing, False
    content = brief_content(
        bureau=bureau, kind=kind, start=start, end=period_end, options=options, discipline=discipline
    )
    title = brief_title(bureau=bureau, kind=kind, start=start, end=period_end, discipline=discipline)
    with transaction.atomic():
        if existing is not None:
            Brief.objects.filter(pk=existing.pk, bureau=bureau).update(
                content=content, title=title, updated_at=timezone.now()
            )
            search_services.reindex_on_commit("brief", existing.pk)  # an update sends no save signal
            existing.refresh_from_db()
            audit_record(actor=None, action="brief.refresh", target=existing)
            return existing, False
        try:
            with transaction.atomic():
                brief = Brief.objects.create(
                    bureau=bureau,
                    kind=kind,
                    discipline=discipline,
                    period_start=start,
                    period_end=period_end,
                    title=title,
                    content=content,
                )
        except IntegrityError:  # compiled meanwhile by another worker: that one stands
            found = brief_selectors.brief_find(
                bureau=bureau, kind=kind, discipline_id=discipline_id, period_start=start
            )
            if found is None:
                raise
            return found, False
        audit_record(actor=None, action="brief.compile", target=brief)
        if push:
            _enqueue_push(brief)
    return brief, True


def brief_compile(
    *,
    bureau: Bureau,
    kind: str,
    period_end: dt.datetime,
    discipline: Discipline | None = None,
    refresh: bool = False,
) -> Brief:
    """Compile the brief (see :func:`brief_compile_or_get`) and return it."""
    brief, _created = brief_compile_or_get(
        bureau=bureau, kind=kind, period_end=period_end, discipline=discipline, refresh=refresh
    )
    return brief


# --- on demand ----------------------------------------------------------------------------------


def _bureau_for(actor: Actor, code: str | None) -> Bureau:
    if not code or (actor.bureau is not None and code == actor.bureau.code):
        if actor.bureau is None:
            raise NotFound
        return actor.bureau
    if actor.is_system_admin:
        from portal.selectors import bureau_by_code

        found = bureau_by_code(code=code)
        if found is not None:
            return found
    raise NotFound  # another bureau's briefs are not the person's to compile, nor to know of


def brief_compile_on_demand(
    *,
    actor: Actor,
    kind: str,
    day: dt.date,
    bureau_code: str | None = None,
    discipline_code: str | None = None,
    refresh: bool = False,
    now: dt.datetime | None = None,
) -> tuple[Brief, bool]:
    """A person's "compile now": the brief of ``kind`` ending on ``day`` at the bureau's
    brief time. NotFound (404) for another bureau; PermissionDenied (403) for people other
    than forecasters, chairs and the bureau admin; InvalidInput (400) naming the field."""
    bureau = _bureau_for(actor, bureau_code)
    if not can_compile_brief(actor, bureau):
        raise PermissionDenied(_("Only forecasters, chairs and the bureau admin compile briefs."))
    if kind not in BriefKind.values:
        raise InvalidInput(
            _("Unknown kind %(kind)s: daily, weekly or discipline.") % {"kind": kind}, field="kind"
        )
    discipline = None
    if kind == BriefKind.DISCIPLINE:
        if not discipline_code:
            raise InvalidInput(_("A discipline report needs its discipline."), field="discipline")
        discipline = discipline_selectors.discipline_by_code(code=discipline_code)
        if discipline is None:
            raise InvalidInput(
                _("Unknown discipline %(code)s.") % {"code": discipline_code}, field="discipline"
            )
    elif discipline_code:
        raise InvalidInput(_("Only a discipline report has a discipline."), field="discipline")
    now = now or timezone.now()
    options = brief_selectors.brief_settings_for(bureau=bureau)
    if day < EARLIEST_DAY or day > now.astimezone(BEIJING).date():
        raise InvalidInput(
            _("The date must be from %(first)s to today.") % {"first": EARLIEST_DAY.isoformat()}, field="date"
        )
    _start, end = period_of(kind=kind, day=day, daily_at=options.daily_at)
    if end > now:
        raise InvalidInput(
            _("The brief of %(date)s covers the period up to %(time)s, which has not ended yet.")
            % {"date": day.isoformat(), "time": options.daily_at.strftime("%H:%M")},
            field="date",
        )
    brief, created = brief_compile_or_get(
        bureau=bureau, kind=kind, period_end=end, discipline=discipline, refresh=refresh
    )
    audit_record(actor=actor, action="brief.compile_on_demand", target=brief, extra={"created": created})
    return brief, created


# --- the beat -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueBrief:
    bureau_id: int
    kind: str
    period_end: dt.datetime
    discipline: str | None = None

    def as_task_kwargs(self) -> dict[str, Any]:
        return {
            "bureau_id": self.bureau_id,
            "kind": self.kind,
            "period_end": self.period_end.isoformat(),
            "discipline": self.discipline,
        }


def latest_brief_time(*, now: dt.datetime, daily_at: dt.time, monday: bool = False) -> dt.datetime:
    """The latest instant at or before ``now`` that is ``daily_at`` Beijing time (on a Monday)."""
    local = now.astimezone(BEIJING)
    day = local.date()
    if local.time() < daily_at:
        day -= dt.timedelta(days=1)
    if monday:
        day -= dt.timedelta(days=day.weekday())
    return dt.datetime.combine(day, daily_at, tzinfo=BEIJING)


def briefs_due(*, now: dt.datetime | None = None) -> list[DueBrief]:
    """The briefs due at ``now`` that no bureau has yet: the latest daily brief of each active
    bureau; with weekly briefs on, the latest Monday's weekly brief and (if on) its discipline
    reports. One query per bureau for what exists."""
    now = now or timezone.now()
    disciplines = list(discipline_selectors.discipline_list().order_by("order", "code"))
    due: list[DueBrief] = []
    for bureau in brief_selectors.bureaus_for_briefs():
        options = brief_selectors.brief_settings_for(bureau=bureau)
        daily_end = latest_brief_time(now=now, daily_at=options.daily_at)
        wanted: list[tuple[str, dt.datetime, Discipline | None]] = [(BriefKind.DAILY, daily_end, None)]
        if options.weekly:
            weekly_end = latest_brief_time(now=now, daily_at=options.daily_at, monday=True)
            wanted.append((BriefKind.WEEKLY, weekly_end, None))
            if options.discipline_reports:
                wanted.extend((BriefKind.DISCIPLINE, weekly_end, d) for d in disciplines)
        starts = {
            (kind, end): end - dt.timedelta(days=1 if kind == BriefKind.DAILY else 7)
            for kind, end, _d in wanted
        }
        existing = brief_selectors.briefs_existing(bureau=bureau, period_starts=list(set(starts.values())))
        for kind, end, discipline in wanted:
            key = (str(kind), discipline.pk if discipline else None, starts[(kind, end)])
            if key not in existing:
                due.append(DueBrief(bureau.pk, str(kind), end, discipline.code if discipline else None))
    return due


def brief_compile_due(
    *, bureau_id: int, kind: str, period_end: dt.datetime, discipline: str | None
) -> Brief | None:
    """The compile task's service: the due brief for a bureau (None if the bureau is gone)."""
    bureau = brief_selectors.bureau_for_worker(bureau_id=bureau_id)
    if bureau is None:
        return None
    subject = discipline_selectors.discipline_by_code(code=discipline) if discipline else None
    if discipline and subject is None:
        return None
    return brief_compile(bureau=bureau, kind=kind, period_end=period_end, discipline=subject)


# --- settings -----------------------------------------------------------------------------------


@transaction.atomic
def brief_settings_update(*, actor: Actor, **data: Any) -> BriefSettings:
    """Save the bureau's brief settings (the bureau admin only: PermissionDenied otherwise)."""
    if not can_manage_brief_settings(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only the bureau admin sets the briefs."))
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown setting %(name)s.") % {"name": sorted(unknown)[0]}, field=sorted(unknown)[0]
        )
    candidate = BriefSettings(bureau=actor.bureau, **data)
    candidate.full_clean(exclude=["bureau"], validate_unique=False, validate_constraints=False)
    row, _created = BriefSettings.objects.update_or_create(bureau=actor.bureau, defaults=data)
    audit_record(
        actor=actor, action="brief_settings.update", target=row, extra={k: str(v) for k, v in data.items()}
    )
    return row


def brief_compile_failed(
    *, bureau_id: int, kind: str, period_end: str, discipline: str | None, error: BaseException
) -> int:
    """A brief that failed its last try: its bureau's admins, forecasters and chairs are told
    (the next beat run tries again). Returns how many people were told."""
    from portal.models import Notification, Role
    from portal.services import notify_bureau

    bureau = brief_selectors.bureau_for_worker(bureau_id=bureau_id)
    if bureau is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        label = str(BriefKind(kind).label) if kind in BriefKind.values else kind
        return notify_bureau(
            bureau=bureau,
            title=_("The %(kind)s ending %(end)s could not be compiled")
            % {"kind": label, "end": format_date(dt.datetime.fromisoformat(period_end))},
            body=f"{type(error).__name__}: {error}"[:300] + (f" ({discipline})" if discipline else ""),
            level=Notification.Level.WARNING,
            kind="brief.failed",
            roles=[Role.BUREAU_ADMIN, Role.FORECASTER, Role.CHAIR],
        )
