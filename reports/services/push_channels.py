"""The push channels of a special-topic report: the in-app notification, the e-mail and the
WeChat Work group bot; each sender raises on failure (``pushes`` records it and retries).

The channels themselves (:func:`websocket_send`, :func:`email_send`, :func:`wechat_send`) and
:func:`message_send` (a headline, lines and a link over one channel) serve whatever else is
pushed the same way: the post-quake opinions (``postquake.services.pushes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
    from collections.abc import Callable, Sequence

    from portal.models import Bureau


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


# --- the channels, for anything pushed like the special-topic report ---------------------------


def websocket_send(*, bureau: Bureau, title: str, body: str, url: str, kind: str) -> None:
    """The in-app channel: an urgent notification to every member of ``bureau``, live on their pages."""
    notify_bureau(bureau=bureau, title=title, body=body, url=url, level=Notification.Level.URGENT, kind=kind)


def email_send(
    *, recipients: Sequence[str], subject: str, body: str, attachments: Sequence[tuple[str, bytes, str]] = ()
) -> None:
    """The e-mail channel; raises on failure (no recipients included)."""
    if not recipients:
        raise RuntimeError(_("No e-mail recipients are set."))
    message = EmailMessage(subject=subject, body=body, to=list(recipients))
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send(fail_silently=False)


def fit_markdown(lines: Sequence[str], link: str) -> str:
    """``lines`` then ``link`` within the group bot's 4096 bytes: detail lines go, never the link."""
    lines = list(lines)
    while len("\n".join([*lines, link]).encode()) > WECHAT_MAX_BYTES and len(lines) > 1:
        lines.pop()
    budget = WECHAT_MAX_BYTES - len(link.encode()) - 2
    if lines and len(lines[0].encode()) > budget:
        lines[0] = lines[0].encode()[: budget - 3].decode("utf-8", "ignore") + "…"
    return "\n".join([*lines, link])


@dataclass(frozen=True)
class Message:
    """What a push says whatever it is about: a headline, detail lines, the page it opens."""

    headline: str
    lines: Sequence[str]
    path: str  # the portal page, e.g. /postquake/12/
    link_label: str
    kind: str  # the notification kind of the in-app channel


def message_send(channel: str, *, bureau: Bureau, options: TopicReportSettings, message: Message) -> None:
    """Send ``message`` over one of the special-topic report's channels, to the recipients of
    the bureau's ``options``; raises on failure (the caller records it and retries)."""
    link = settings.SITE_URL.rstrip("/") + message.path
    if channel == PushAttempt.Channel.WEBSOCKET:
        websocket_send(
            bureau=bureau,
            title=message.headline,
            body="\n".join(message.lines[:3]),
            url=message.path,
            kind=message.kind,
        )
    elif channel == PushAttempt.Channel.EMAIL:
        body = "\n".join([message.headline, "", *message.lines, "", f"{message.link_label}: {link}"])
        email_send(recipients=options.email_list, subject=message.headline, body=body)
    elif channel == PushAttempt.Channel.WECHAT:
        markdown = fit_markdown(
            [f"## {message.headline}", *(f"> {line}" for line in message.lines if line.strip())],
            f"[{message.link_label}]({link})",
        )
        wechat_send(options.wechat_webhook_url, markdown)
    else:
        raise RuntimeError(f"unknown push channel {channel!r}")


# --- the special-topic report's own messages ----------------------------------------------------


def _send_websocket(report: TopicReport, options: TopicReportSettings) -> None:
    websocket_send(
        bureau=report.bureau,
        title=_headline(report),
        body=_("Special-topic report ready: epicentre, towns, history, the bureau's layers."),
        url=report.get_absolute_url(),
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
    attachments = []
    if report.pdf:
        with report.pdf.open("rb") as handle:
            attachments.append((f"topic-report-{report.pk}.pdf", handle.read(), "application/pdf"))
    email_send(recipients=recipients, subject=_headline(report), body=body, attachments=attachments)


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
    return fit_markdown(lines, f"[{labels['open']}]({report_link(report)})")


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
