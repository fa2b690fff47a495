"""Demo briefs of JX: the daily briefs of the last three days, the latest weekly brief and
the fluid discipline report of that week, compiled from the demo data of the other apps (not
pushed; the latest daily brief's PDF rendered). Idempotent: a brief is compiled once per
period."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from disciplines.selectors import discipline_by_code
from portal.selectors import bureau_by_code

from .brief_selectors import brief_settings_for
from .services.brief_pdf import brief_pdf_render_now
from .services.briefs import brief_compile_or_get, latest_brief_time

DEMO_BUREAU = "JX"
DAILY_DAYS = 3


def seed(stdout: TextIO | None = None) -> list[int]:
    bureau = bureau_by_code(code=DEMO_BUREAU)
    if bureau is None:
        return []
    now = timezone.now()
    options = brief_settings_for(bureau=bureau)
    latest = latest_brief_time(now=now, daily_at=options.daily_at)
    monday = latest_brief_time(now=now, daily_at=options.daily_at, monday=True)
    wanted = [("daily", latest - dt.timedelta(days=n), None) for n in range(DAILY_DAYS)]
    wanted.append(("weekly", monday, None))
    wanted.append(("discipline", monday, discipline_by_code(code="fluid")))
    ids, created_count = [], 0
    for kind, end, discipline in wanted:
        if kind == "discipline" and discipline is None:
            continue
        brief, created = brief_compile_or_get(
            bureau=bureau, kind=kind, period_end=end, discipline=discipline, push=False
        )
        ids.append(brief.pk)
        created_count += created
        if kind == "daily" and end == latest:
            brief_pdf_render_now(brief=brief)
    if stdout is not None:
        stdout.write(f"trends briefs: {len(ids)} for {DEMO_BUREAU} ({created_count} new)\n")
    return ids
