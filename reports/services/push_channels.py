"""The push channels of a special-topic report: the in-app notification, the e-mail and the
WeChat Work group bot; each sender raises on failure (``pushes`` records it and retries).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from portal.models import Notification
from portal.services import notify_bureau
from reports.models import (
    PushAttempt,
    TopicReport,
    TopicReportSettings,
)

if TYPE_CHECKING:
    from collections.abc import Callable


WECHAT_MAX_BYTES = 4096


def report_link(report: TopicReport) -> str:
    return settings.SITE_URL.rstrip("/") + report.get_absolute_url()


def _headline(report: TopicReport) -> str:
    event = report.context.get("event", {})
    kind = _("automatic") if event.get("report_kind") == "automatic" else _("formal")
    return _("%(time)s %(place)s M%(mag)s earthquake (%(kind)s): special-topic report") % {
        "time": event.get("origin_time_bj", "")[:16],
        "place": event.get("location_name", ""),
        "mag": f"{event.get('magnitude') or 0:.1f}",
        "kind": kind,
    }


def _redact(url: str) -> str:
    """The webhook URL without its key (the key is a secret; it never goes on a page)."""
    base, _sep, query = url.partition("?")
    return base + ("?key=…" if "key=" in query else "")


def _send_websocket(report: TopicReport, options: TopicReportSettings) -> None:
    notify_bureau(
        bureau=report.bureau,
        title=_headline(report),
        body=_("Special-topic report ready: epicentre, towns, history, the bureau's layers."),
        url=report.get_absolute_url(),
        level=Notification.Level.URGENT,
        kind="topic_report.ready",
    )


def _send_email(report: TopicReport, options: TopicReportSettings) -> None:
    recipients = options.email_list
    if not recipients:
        raise RuntimeError(_("No e-mail recipients are set."))
    event = report.context.get("event", {})
    body = "\n".join(
        [
            _headline(report),
            "",
            _("Beijing time: %(t)s") % {"t": event.get("origin_time_bj", "")},
            _("Epicentre: %(lat).2f°N %(lon).2f°E, depth %(depth)s km")
            % {
                "lat": event.get("latitude", 0),
                "lon": event.get("longitude", 0),
                "depth": event.get("depth_km") or "-",
            },
            "",
            _("Read the report: %(url)s") % {"url": report_link(report)},
        ]
    )
    message = EmailMessage(subject=_headline(report), body=body, to=recipients)
    if report.pdf:
        with report.pdf.open("rb") as handle:
            message.attach(f"topic-report-{report.pk}.pdf", handle.read(), "application/pdf")
    message.send(fail_silently=False)


def wechat_markdown(report: TopicReport) -> str:
    """The group-bot message (WeChat Work markdown: headings, quotes, links, <font color>)."""
    c = report.context
    event = c.get("event", {})
    towns = c.get("towns", {})
    nearest = towns.get("nearest")
    labels = {
        "time": _("Beijing time"),
        "magnitude": _("Magnitude"),
        "epicentre": _("Epicentre"),
        "depth": _("Depth"),
        "place": _("Place"),
        "nearest": _("Nearest town"),
        "open": _("Open the special-topic report"),
        "towns": _("Towns within %(r)s km") % {"r": f"{c.get('options', {}).get('town_radius_km', 50):g}"},
    }
    magnitude = f"{event.get('magnitude_type', 'M')}{event.get('magnitude') or 0:.1f}"
    lines = [
        f"## {_headline(report)}",
        f"> {labels['time']}: {event.get('origin_time_bj', '')}",
        f'> {labels["magnitude"]}: <font color="warning">{magnitude}</font>',
        f"> {labels['epicentre']}: {event.get('latitude', 0):.2f}°N, {event.get('longitude', 0):.2f}°E"
        f"  {labels['depth']}: {event.get('depth_km') or '-'} km",
        f"> {labels['place']}: {event.get('location_name', '')}",
    ]
    if nearest:
        name = nearest.get("name_zh") or nearest.get("name")
        lines.append(f"> {labels['nearest']}: {name} ({nearest.get('distance_km')} km)")
    lines.append(f"> {labels['towns']}: {towns.get('count', 0)}")
    link = f"[{labels['open']}]({report_link(report)})"
    # The group bot takes at most 4096 bytes of markdown: drop detail lines, never the link.
    while len("\n".join([*lines, link]).encode()) > WECHAT_MAX_BYTES and len(lines) > 1:
        lines.pop()
    budget = WECHAT_MAX_BYTES - len(link.encode()) - 2
    if len(lines[0].encode()) > budget:
        lines[0] = lines[0].encode()[: budget - 3].decode("utf-8", "ignore") + "…"
    return "\n".join([*lines, link])


def _send_wechat(report: TopicReport, options: TopicReportSettings) -> None:
    wechat_send(options.wechat_webhook_url, wechat_markdown(report))


def wechat_send(url: str, markdown: str) -> None:
    """Post ``markdown`` to the WeChat Work group bot at ``url``; raises on any failure (the
    portal's one sender to the group bot: special-topic reports and the briefs of trends)."""
    if not url:
        raise RuntimeError(_("No WeChat Work webhook is set."))
    payload = {"msgtype": "markdown", "markdown": {"content": markdown}}
    response = requests.post(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=10,
    )
    if response.status_code >= 400:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    # The group bot answers 200 with {"errcode": 0} on success and a non-zero code otherwise.
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        raise RuntimeError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:300])


SENDERS: dict[str, Callable[[TopicReport, TopicReportSettings], None]] = {
    PushAttempt.Channel.WEBSOCKET: _send_websocket,
    PushAttempt.Channel.EMAIL: _send_email,
    PushAttempt.Channel.WECHAT: _send_wechat,
}
