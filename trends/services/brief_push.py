"""Pushing a compiled brief by the bureau's channels, once.

* in the app: a notification to each forecaster, chair, approver and admin of the bureau,
  stored by ``portal.services.notify_user``, which also delivers it by e-mail (or SMS) to
  those who chose it on their settings page (``portal.notifications``);
* the bureau's WeChat Work group bot, when its special-topic push settings name one, through
  the portal's one group-bot sender (``reports.services.push_channels.wechat_send``).

The push claims the brief (``pushed_at``) in the transaction that stores the notifications,
so a second run tells nobody twice; the group-bot message is a task of its own that retries.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.models import Notification
from portal.selectors import bureau_role_holders
from portal.services import notify_user
from portal.timefmt import format_time
from reports import selectors as report_selectors
from reports.services.push_channels import WECHAT_MAX_BYTES, wechat_send
from trends import brief_selectors
from trends.brief_permissions import RECIPIENTS
from trends.models import Brief, BriefKind

if TYPE_CHECKING:
    import datetime as dt

logger = logging.getLogger(__name__)


def brief_link(brief: Brief) -> str:
    return settings.SITE_URL.rstrip("/") + brief.get_absolute_url()


def brief_summary(brief: Brief) -> list[str]:
    """The brief's headline numbers, one line each, in the current language."""
    c: dict[str, Any] = brief.content or {}
    lines = []
    quakes = c.get("quakes")
    if quakes is not None:
        lines.append(
            _("Quakes: %(inside)d in the jurisdiction, %(near)d within %(km)g km")
            % {"inside": quakes["inside"]["count"], "near": quakes["near"]["count"], "km": quakes["near_km"]}
        )
        if quakes["list"]:
            top = quakes["list"][0]
            lines.append(
                _("Largest: %(type)s%(mag)s %(place)s")
                % {
                    "type": top.get("magnitude_type") or "M",
                    "mag": "—" if top.get("magnitude") is None else f"{top['magnitude']:.1f}",
                    "place": top.get("location_name", ""),
                }
            )
    anomalies = c.get("anomalies", {})
    if brief.kind == BriefKind.DISCIPLINE:
        lines.append(
            _("Anomalies: %(new)d new, %(verified)d verified, %(tracking)d under tracking, %(closed)d closed")
            % {key: len(anomalies.get(key, [])) for key in ("new", "verified", "tracking", "closed")}
        )
    else:
        lines.append(
            _("Anomalies: %(new)d new, %(overdue)d overdue; verifications due: %(due)d")
            % {
                "new": len(anomalies.get("new", [])),
                "overdue": len(anomalies.get("overdue", [])),
                "due": len(c.get("verifications_due", [])),
            }
        )
    zero = c.get("zero_reports", {})
    lines.append(
        _("Zero-reports: %(missing)d missing of %(expected)d")
        % {"missing": zero.get("missing_count", 0), "expected": zero.get("expected", 0)}
    )
    crossed = c.get("products", {}).get("crossed", [])
    if crossed:
        lines.append(_("Product results past a threshold: %(n)d") % {"n": len(crossed)})
    meetings = c.get("meetings")
    if meetings:
        lines.append(_("Meetings today: %(n)d") % {"n": len(meetings)})
    return lines


def wechat_markdown(brief: Brief) -> str:
    """The group-bot message: the title, the headline numbers, the link (within 4096 bytes)."""
    label = _("Open the brief")
    link = f"[{label}]({brief_link(brief)})"
    lines = [f"## {brief.title}", *(f"> {line}" for line in brief_summary(brief))]
    while len("\n".join([*lines, link]).encode()) > WECHAT_MAX_BYTES and len(lines) > 1:
        lines.pop()
    return "\n".join([*lines, link])


def brief_push(*, brief_id: int, now: dt.datetime | None = None) -> bool:
    """Tell the bureau's people of the brief and queue the group-bot message; once per brief
    (False when it was pushed before, or is gone)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Brief.objects.filter(pk=brief_id, pushed_at__isnull=True).update(pushed_at=now)
        if not claimed:
            return False
        brief = brief_selectors.brief_get_for_worker(brief_id=brief_id)
        if brief is None:  # pragma: no cover - claimed a moment ago in this transaction
            return False
        with translation.override(settings.LANGUAGE_CODE):
            body = "\n".join(brief_summary(brief))
            for person in bureau_role_holders(bureau=brief.bureau_id, roles=list(RECIPIENTS)):
                notify_user(
                    user=person,
                    title=brief.title,
                    body=body,
                    url=brief.get_absolute_url(),
                    level=Notification.Level.INFO,
                    kind=f"brief.{brief.kind}",
                    bureau=brief.bureau,
                )
        if report_selectors.topic_report_settings_for(bureau=brief.bureau).wechat_webhook_url:
            from trends.brief_tasks import brief_wechat_task

            bureau_id = brief.bureau_id
            transaction.on_commit(lambda: brief_wechat_task.delay(bureau_id=bureau_id, brief_id=brief_id))
    logger.info("brief %s pushed at %s", brief_id, format_time(now))
    return True


def brief_wechat_send(*, brief_id: int) -> bool:
    """Post the brief to the bureau's WeChat Work group bot; raises on failure (the task retries).
    False when there is nothing to send (the brief is gone, or the bot was removed)."""
    brief = brief_selectors.brief_get_for_worker(brief_id=brief_id)
    if brief is None:
        return False
    url = report_selectors.topic_report_settings_for(bureau=brief.bureau).wechat_webhook_url
    if not url:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        wechat_send(url, wechat_markdown(brief))
    return True
