"""Writes of the reports app: topic reports (queue, build, ready/failed, versions), their push
over each channel with retries, GIS layer uploads, and the bureau's topic-report settings.

Topic report workflow (``WORKFLOW``, moved by ``portal.workflow.transition``: it locks the
row, checks the right before the state, saves, audits, tells and broadcasts):

    queued --start--> building --finish--> ready
    queued/building --fail--> failed --requeue--> queued     (the bureau is told of a failure)
    building --recover--> queued                             (the watchdog: its worker died)

start, finish, fail and recover are the worker's moves (no person makes them); requeue is a
forecaster's, chair's or bureau admin's.

Push workflow (``PUSH_WORKFLOW``), per channel:

    pending/retrying --sent--> sent
    pending/retrying --error--> retrying      (a try failed, attempts are left)
    pending/retrying --fail--> failed         (the last try failed: the bureau is told)
    pending/retrying --abandon--> failed      (the watchdog: its worker ended; told too)
    failed --retry--> retrying                (a forecaster, chair or bureau admin)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import hooks, uploads
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.models import Bureau, Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record, bureau_group, notify_bureau
from portal.validators import clean_title
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    by_the_system,
    register,
    register_labels,
    transition,
    transition_each,
)
from printing.rendering import png_data_uri, render_pdf

from . import selectors
from .geojson import GeoJSONError, parse_layer
from .models import GisFeature, GisLayer, GisLayerKind, PushAttempt, TopicReport, TopicReportSettings, Town
from .permissions import can_manage_gis_layers, can_manage_topic_settings, can_rebuild_topic_report

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from catalog.models import Event
    from portal.tenancy import Actor

    from .gazetteer import GazetteerRow

logger = logging.getLogger(__name__)

Status = TopicReport.Status
PushStatus = PushAttempt.Status
GIS_MAX_BYTES_DEFAULT = 5 * 1024 * 1024
WECHAT_MAX_BYTES = 4096
GIS_MAX_FEATURES_DEFAULT = 20_000


def _report_locked(report_id: int) -> TopicReport:
    return TopicReport.objects.select_for_update().select_related("event", "bureau").get(pk=report_id)


def _lock(actor: Actor | None, report: TopicReport | int) -> TopicReport:
    try:
        return _report_locked(getattr(report, "pk", report))
    except TopicReport.DoesNotExist:
        raise NotFound() from None


def _live(report: TopicReport, action: str) -> tuple[str, dict[str, Any]]:
    return bureau_group(report.bureau_id), {
        "kind": "topic_report",
        "action": action,
        "id": report.pk,
        "state": report.status,
        "state_label": str(report.get_status_display()),
        "url": report.get_absolute_url(),
    }


def _to_the_bureau_on_failure(report: TopicReport, actor: Actor | None, comment: str) -> list[Handoff]:
    """Forecasters, chairs and bureau admins of the bureau: they can rebuild it."""
    people = bureau_role_holders(
        bureau=report.bureau_id, roles=[Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN]
    )
    return [
        Handoff(
            people,
            title=_("Special-topic report failed: %(event)s") % {"event": report.event.location_name},
            body=report.error[:200],
            level=Notification.Level.WARNING,
            kind="topic_report.failed",
        )
    ]


WORKFLOW = register(
    Workflow(
        name="topic_report",
        model=TopicReport,
        state_field="status",
        noun=gettext_lazy("special-topic report"),
        lock=_lock,
        url=lambda report: report.get_absolute_url(),
        live=_live,
        transitions={
            "start": Transition(
                frozenset({Status.QUEUED}), Status.BUILDING, by_the_system, gettext_lazy("build started")
            ),
            "finish": Transition(
                frozenset({Status.BUILDING}),
                Status.READY,
                by_the_system,
                gettext_lazy("built"),
                audit_action="topic_report.ready",
            ),
            "fail": Transition(
                frozenset({Status.QUEUED, Status.BUILDING}),
                Status.FAILED,
                by_the_system,
                gettext_lazy("build failed"),
                notify=_to_the_bureau_on_failure,
            ),
            "requeue": Transition(
                frozenset({Status.FAILED}),
                Status.QUEUED,
                can_rebuild_topic_report,
                gettext_lazy("queued for a rebuild"),
                gettext_lazy("Rebuild"),
            ),
            "recover": Transition(
                frozenset({Status.BUILDING}),
                Status.QUEUED,
                by_the_system,
                gettext_lazy("queued again: its worker ended"),
            ),
        },
    )
)
register_labels(
    {
        "topic_report.queue": gettext_lazy("queued"),
        "topic_report.push": gettext_lazy("pushed"),
        "topic_report.push_retry": gettext_lazy("push retried"),
    }
)


def _push_lock(actor: Actor | None, attempt: PushAttempt | int) -> PushAttempt:
    locked = (
        PushAttempt.objects.select_for_update(of=("self",))
        .select_related("report", "report__bureau", "report__event")
        .filter(pk=getattr(attempt, "pk", attempt))
        .first()
    )
    if locked is None:
        raise NotFound()
    return locked


def _may_retry_push(actor: Actor | None, attempt: PushAttempt) -> bool:
    return can_rebuild_topic_report(actor, attempt.report)


def _push_failed(attempt: PushAttempt, actor: Actor | None, comment: str) -> list[Handoff]:
    """Forecasters, chairs and bureau admins of the bureau: they can retry the push."""
    people = bureau_role_holders(
        bureau=attempt.bureau_id, roles=[Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN]
    )
    return [
        Handoff(
            people,
            title=_("Push of the special-topic report by %(channel)s failed")
            % {"channel": attempt.get_channel_display()},
            body=attempt.last_error[:200],
            level=Notification.Level.WARNING,
            kind="topic_report.push_failed",
        )
    ]


def _push_failed_elsewhere(attempt: PushAttempt, actor: Actor | None, comment: str) -> list[Handoff]:
    """The in-app channel is these very notifications: when it fails, they would too."""
    if attempt.channel == PushAttempt.Channel.WEBSOCKET:
        return []
    return _push_failed(attempt, actor, comment)


_PUSHING = frozenset({PushStatus.PENDING, PushStatus.RETRYING})
PUSH_WORKFLOW = register(
    Workflow(
        name="push",
        model=PushAttempt,
        state_field="status",
        noun=gettext_lazy("push"),
        lock=_push_lock,
        url=lambda attempt: attempt.report.get_absolute_url(),
        transitions={
            "sent": Transition(_PUSHING, PushStatus.SENT, by_the_system, gettext_lazy("push sent")),
            "error": Transition(
                _PUSHING, PushStatus.RETRYING, by_the_system, gettext_lazy("push try failed, to be retried")
            ),
            "fail": Transition(
                _PUSHING,
                PushStatus.FAILED,
                by_the_system,
                gettext_lazy("push failed after the last try"),
                notify=_push_failed_elsewhere,
            ),
            "abandon": Transition(
                _PUSHING,
                PushStatus.FAILED,
                by_the_system,
                gettext_lazy("push failed: its worker ended"),
                notify=_push_failed,
            ),
            "retry": Transition(
                frozenset({PushStatus.FAILED}),
                PushStatus.RETRYING,
                _may_retry_push,
                gettext_lazy("push retried"),
                gettext_lazy("Retry"),
            ),
        },
    )
)


# --- arrival: the report of one concerned bureau ------------------------------------------


def topic_report_for_event(*, event_id: int, bureau_id: int) -> TopicReport | None:
    """Queue the bureau's report of the event's current version (the reaction to an arrival).

    Which bureaus get one was decided by ``catalog.arrival`` (the task
    ``reports.topic_report_for_event`` runs per concerned bureau whose alert rule asks for a
    report). Idempotent: a (bureau, event, version) that already has a report is left alone,
    so the same arrival delivered twice builds once. The build is queued on commit.
    """
    from catalog.selectors import event_get_for_worker

    event = event_get_for_worker(event_id=event_id)
    bureau = Bureau.objects.filter(pk=bureau_id).first()
    if event is None or bureau is None or event.status == "deleted":
        return None
    return topic_report_queue(bureau=bureau, event=event, trigger=selectors.event_version_origin(event=event))


def topic_report_queue(
    *, bureau: Bureau, event: Event, trigger: str, build: bool = True
) -> TopicReport | None:
    """Create the queued report of ``bureau`` for the event's current version and queue its
    build on commit (``build=False``: the caller builds it). None when it already exists."""
    if selectors.topic_report_find(bureau_id=bureau.pk, event_id=event.pk, event_version=event.version):
        return None
    try:
        with transaction.atomic():
            report = TopicReport.objects.create(
                bureau=bureau,
                event=event,
                event_version=event.version,
                report_kind=event.report_kind,
                status=Status.QUEUED,
                trigger=trigger[:32],
                received_at=selectors.event_version_received_at(event=event),
            )
            audit_record(
                actor=None,
                action="topic_report.queue",
                target=report,
                to_state=Status.QUEUED,
                comment=trigger,
                extra={"event": event.public_id, "version": event.version},
            )
    except IntegrityError:  # the same hook twice at once: the other one queued it
        return None
    if build:
        _enqueue_build(report.pk, bureau.pk)
    return report


def _enqueue_build(report_id: int, bureau_id: int) -> None:
    from .tasks import topic_report_build_task

    transaction.on_commit(lambda: topic_report_build_task.delay(bureau_id=bureau_id, report_id=report_id))


# --- transitions ---------------------------------------------------------------------------


def topic_report_start(*, report: TopicReport) -> TopicReport:
    """queued -> building (the worker took it)."""
    return transition(
        report,
        "start",
        None,
        workflow=WORKFLOW,
        prepare=lambda locked: {"build_attempts": locked.build_attempts + 1},
        started_at=timezone.now(),
        error="",
    )


@transaction.atomic
def topic_report_finish(
    *,
    report: TopicReport,
    content: dict[str, Any],
    pdf: bytes,
    maps: dict[str, bytes],
    timings: dict[str, float],
    push: bool = True,
) -> TopicReport:
    """building -> ready: store the content, the PDF and the maps (MEDIA/reports/<bureau_id>/...),
    then push it and announce it."""
    audit: dict[str, Any] = {}

    def store(locked: TopicReport) -> dict[str, Any]:
        if locked.pdf:
            locked.pdf.delete(save=False)
        stem = f"{locked.bureau_id}/{locked.event_id}/topic-report-v{locked.event_version}-{locked.pk}"
        locked.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        map_files = {}
        for key, png in maps.items():
            path = f"reports/{stem}-{key}.png"
            if default_storage.exists(path):
                default_storage.delete(path)
            map_files[key] = default_storage.save(path, ContentFile(png))
        ready_at = timezone.now()
        audit["timings"] = {
            **timings,
            "total": round((ready_at - locked.received_at).total_seconds(), 3),
        }
        return {
            "pdf": locked.pdf,
            "context": {**content, "map_files": map_files},
            "ready_at": ready_at,
            "timings": audit["timings"],
        }

    report = transition(report, "finish", None, workflow=WORKFLOW, prepare=store, extra=audit)
    if push:
        push_plan(report=report)
    hooks.fire(
        "topic_report.ready", report_id=report.pk, event_id=report.event_id, bureau_id=report.bureau_id
    )
    return report


def topic_report_fail(*, report: TopicReport, error: str) -> TopicReport:
    """queued/building -> failed, keeping the error; the bureau is told (never silent)."""
    return transition(report, "fail", None, error[:500], workflow=WORKFLOW, error=error[:4000])


@transaction.atomic
def topic_report_requeue(*, actor: Actor, report: TopicReport, comment: str = "") -> TopicReport:
    """failed -> queued, by a forecaster, chair or bureau admin of the report's bureau."""
    report = transition(report, "requeue", actor, comment, workflow=WORKFLOW)
    _enqueue_build(report.pk, report.bureau_id)
    return report


# --- the build ------------------------------------------------------------------------------


def render_topic_pdf(*, content: dict[str, Any], maps: dict[str, bytes], language: str = "zh-hans") -> bytes:
    return render_pdf(
        "reports/topic/print.html",
        {"c": content, "maps": {k: png_data_uri(v) for k, v in maps.items()}},
        language=language,
    )


def topic_report_build(*, report_id: int, push: bool | None = None) -> TopicReport | None:
    """Build a queued report: content, maps, PDF; ready (then pushed, when the bureau's
    alert rule says ``pushes``; ``push`` overrides it) or failed. Idempotent (a report that
    is not queued is left alone)."""
    from catalog.arrival import alert_rule_for

    from .topic import build_content, draw_maps

    report = selectors.topic_report_get_for_worker(report_id=report_id)
    if report is None or report.status != Status.QUEUED:
        return report
    if push is None:
        rule = alert_rule_for(bureau=report.bureau)
        push = rule is not None and rule.pushes
    report = topic_report_start(report=report)
    try:
        options = selectors.topic_report_settings_for(bureau=report.bureau)
        language = settings.LANGUAGE_CODE
        with translation.override(language):
            built = build_content(
                event=report.event, bureau=report.bureau, options=options, language=language
            )
            started = time.perf_counter()
            maps = draw_maps(built.content)
            built.timings["maps"] = round(time.perf_counter() - started, 3)
            started = time.perf_counter()
            pdf = render_topic_pdf(content=built.content, maps=maps, language=language)
            built.timings["pdf"] = round(time.perf_counter() - started, 3)
    except Exception as exc:  # any failure of the build is recorded on the report, never lost
        logger.exception("topic report %s failed", report.pk)
        return topic_report_fail(report=report, error=f"{type(exc).__name__}: {exc}")
    return topic_report_finish(
        report=report, content=built.content, pdf=pdf, maps=maps, timings=built.timings, push=push
    )


# --- abandoned jobs (portal.jobs) ------------------------------------------------------------

# The task limits (reports.tasks); past them plus the margin no worker is on the job any more.
BUILD_TIME_LIMIT = 300
BUILD_SOFT_TIME_LIMIT = 240
PUSH_TIME_LIMIT = 60
PUSH_SOFT_TIME_LIMIT = 50
# A queued build no worker took this long is sent again (its message was lost) ...
BUILD_RESEND_AFTER = dt.timedelta(minutes=5)
# ... and given up on after this long: an emergency report this late is told, not awaited.
BUILD_GIVE_UP_AFTER = dt.timedelta(minutes=30)
MAX_BUILD_ATTEMPTS = 2


def topic_reports_reap_abandoned(now: dt.datetime | None = None) -> list[int]:
    """Requeue (once) or fail the builds whose worker died; the bureau is told of a failure.

    Building past the task's time limit: requeued while ``MAX_BUILD_ATTEMPTS`` are left,
    else failed. Queued: sent again after ``BUILD_RESEND_AFTER`` (a duplicate message is
    harmless, the build takes only a queued report); a first build nobody started within
    ``BUILD_GIVE_UP_AFTER`` of the quake's report is failed, so the bureau knows.
    Returns the ids touched.
    """
    from portal.jobs import MARGIN

    now = now or timezone.now()
    building_before = now - dt.timedelta(seconds=BUILD_TIME_LIMIT) - MARGIN
    touched = []
    candidates = selectors.topic_reports_unfinished(before=min(building_before, now - BUILD_RESEND_AFTER))
    for report_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            report = _report_locked(report_id)
            if report.status == Status.BUILDING and report.updated_at < building_before:
                if report.build_attempts < MAX_BUILD_ATTEMPTS:
                    _requeue_abandoned(report)
                else:
                    topic_report_fail(
                        report=report,
                        error=_(
                            "The build stopped %(n)d times without finishing (its worker ended); "
                            "rebuild it from the report's page."
                        )
                        % {"n": report.build_attempts},
                    )
            elif (
                report.status == Status.QUEUED
                and report.build_attempts == 0  # a rebuild a person asked for has no clock here
                and report.created_at < now - BUILD_GIVE_UP_AFTER
            ):
                topic_report_fail(
                    report=report,
                    error=_("No worker built the report within %(minutes)d minutes; rebuild it.")
                    % {"minutes": BUILD_GIVE_UP_AFTER.total_seconds() // 60},
                )
            elif report.status == Status.QUEUED and report.updated_at < now - BUILD_RESEND_AFTER:
                report.save(update_fields=["updated_at"])  # sent again at most once per interval
                _enqueue_build(report.pk, report.bureau_id)
            else:
                continue
            touched.append(report.pk)
    return touched


def _requeue_abandoned(report: TopicReport) -> None:
    transition(
        report,
        "recover",
        None,
        "watchdog: the worker ended without finishing the build",
        workflow=WORKFLOW,
    )
    _enqueue_build(report.pk, report.bureau_id)


def topic_report_fail_by_id(*, report_id: int, message: str) -> None:
    """Fail a queued or building report (the task guard's last resort); others are left alone."""
    with transaction.atomic():
        report = _report_locked(report_id)
        if report.status in WORKFLOW.transitions["fail"].sources:
            topic_report_fail(report=report, error=message)


def pushes_fail_abandoned(now: dt.datetime | None = None) -> list[int]:
    """Fail the pushes no worker is on any more (past their next try's time + the task's time
    limit); the bureau is told and can retry them. Returns the ids failed."""
    from portal.jobs import MARGIN

    now = now or timezone.now()
    candidates = selectors.push_attempts_unfinished(
        before=now - dt.timedelta(seconds=PUSH_TIME_LIMIT) - MARGIN
    )

    def abandoned(attempt: PushAttempt) -> bool:
        options = selectors.topic_report_settings_for(bureau=attempt.report.bureau)
        due = dt.timedelta(seconds=retry_delay(attempt, options) + PUSH_TIME_LIMIT) + MARGIN
        return attempt.updated_at < now - due

    message = _("The push stopped: its worker ended; retry it.")
    return transition_each(
        candidates.values_list("pk", flat=True),
        "abandon",
        message,
        workflow=PUSH_WORKFLOW,
        when=abandoned,
        extra=lambda attempt: {"channel": attempt.channel, "attempt": attempt.attempts},
        last_error=message,
    )


@transaction.atomic
def push_fail(*, attempt_id: int, message: str) -> bool:
    """pending/retrying -> failed with ``message``; the bureau is told. False when it had ended."""
    attempt = _push_lock(None, attempt_id)
    if attempt.status not in PUSH_WORKFLOW.transitions["abandon"].sources:
        return False
    transition(
        attempt,
        "abandon",
        None,
        message[:500],
        workflow=PUSH_WORKFLOW,
        extra={"channel": attempt.channel, "attempt": attempt.attempts},
        last_error=message,
    )
    return True


# --- push -------------------------------------------------------------------------------------


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


def push_plan(*, report: TopicReport) -> list[PushAttempt]:
    """Create one PushAttempt per configured channel and queue each send on commit."""
    options = selectors.topic_report_settings_for(bureau=report.bureau)
    channels: list[tuple[str, str]] = [(PushAttempt.Channel.WEBSOCKET, report.bureau.code)]
    if options.email_list:
        channels.append((PushAttempt.Channel.EMAIL, ", ".join(options.email_list)))
    if options.wechat_webhook_url:
        channels.append((PushAttempt.Channel.WECHAT, _redact(options.wechat_webhook_url)))
    created = []
    for channel, target in channels:
        attempt, _new = PushAttempt.objects.get_or_create(
            report=report,
            channel=channel,
            defaults={
                "bureau_id": report.bureau_id,
                "target": target[:500],
                "max_attempts": options.push_max_attempts,
            },
        )
        created.append(attempt)
        _enqueue_push(attempt.pk, report.bureau_id)
    return created


def _enqueue_push(attempt_id: int, bureau_id: int, countdown: float = 0) -> None:
    from .tasks import push_send_task

    transaction.on_commit(
        lambda: push_send_task.apply_async(
            kwargs={"bureau_id": bureau_id, "attempt_id": attempt_id}, countdown=countdown
        )
    )


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
    url = options.wechat_webhook_url
    if not url:
        raise RuntimeError(_("No WeChat Work webhook is set."))
    payload = {"msgtype": "markdown", "markdown": {"content": wechat_markdown(report)}}
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


def retry_delay(attempt: PushAttempt, options: TopicReportSettings) -> float:
    """Exponential backoff: the first retry after ``push_retry_seconds``, each next one twice as long."""
    return float(options.push_retry_seconds * 2 ** max(attempt.attempts - 1, 0))


def push_send(*, attempt_id: int) -> tuple[PushAttempt | None, float | None]:
    """Try one channel once. Returns (attempt, seconds until the next try or None).

    Sent -> done; an error is recorded (attempts, last error) and the push is
    retrying while attempts remain, failed after the last one.
    """
    attempt = selectors.push_attempt_get_for_worker(attempt_id=attempt_id)
    if attempt is None or attempt.status in (PushStatus.SENT, PushStatus.FAILED):
        return attempt, None
    options = selectors.topic_report_settings_for(bureau=attempt.report.bureau)
    error = ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            SENDERS[attempt.channel](attempt.report, options)
    except Exception as exc:  # every channel error is recorded on the attempt, whatever it was
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("push %s of report %s failed: %s", attempt.channel, attempt.report_id, error)
    return _push_record(attempt_id=attempt_id, error=error, options=options)


@transaction.atomic
def _push_record(
    *, attempt_id: int, error: str, options: TopicReportSettings
) -> tuple[PushAttempt, float | None]:
    attempt = _push_lock(None, attempt_id)
    attempts = attempt.attempts + 1
    now = timezone.now()
    changes: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now}
    delay = None
    if not error:
        action = "sent"
        changes["sent_at"] = now
    elif attempts < attempt.max_attempts:
        action = "error"
        changes["last_error"] = error
        attempt.attempts = attempts  # the backoff counts this try
        delay = retry_delay(attempt, options)
    else:
        action = "fail"
        changes["last_error"] = error
    attempt = transition(
        attempt,
        action,
        None,
        error[:500],
        workflow=PUSH_WORKFLOW,
        extra={"channel": attempt.channel, "attempt": attempts},
        **changes,
    )
    return attempt, delay


@transaction.atomic
def push_retry(*, actor: Actor, attempt: PushAttempt) -> PushAttempt:
    """failed -> retrying: a person asks to try a failed channel again (attempts start over)."""
    attempt = transition(
        attempt,
        "retry",
        actor,
        workflow=PUSH_WORKFLOW,
        prepare=lambda locked: {
            "max_attempts": locked.attempts
            + selectors.topic_report_settings_for(bureau=locked.report.bureau).push_max_attempts
        },
    )
    _enqueue_push(attempt.pk, attempt.bureau_id)
    return attempt


# --- settings ---------------------------------------------------------------------------------

SETTINGS_FIELDS = (
    "history_radius_km",
    "history_min_magnitude",
    "history_since",
    "town_radius_km",
    "layer_radius_km",
    "email_recipients",
    "wechat_webhook_url",
    "push_max_attempts",
    "push_retry_seconds",
)


@transaction.atomic
def topic_report_settings_update(*, actor: Actor, **data: Any) -> TopicReportSettings:
    """Save the actor's bureau's topic-report settings (bureau admins)."""
    if not can_manage_topic_settings(actor):
        raise PermissionDenied(_("Only a bureau admin can change the special-topic report settings."))
    assert actor.bureau is not None  # can_manage_topic_settings checked it
    current, _new = TopicReportSettings.objects.select_for_update().get_or_create(bureau=actor.bureau)
    changed = []
    for name in SETTINGS_FIELDS:
        if name in data and getattr(current, name) != data[name]:
            setattr(current, name, data[name])
            changed.append(name)
    for address in TopicReportSettings(email_recipients=current.email_recipients).email_list:
        if "@" not in address or " " in address:
            raise InvalidInput(
                _("%(a)s is not an e-mail address.") % {"a": address}, field="email_recipients"
            )
    _full_clean(current)
    current.save()
    audit_record(actor=actor, action="topic_report.settings", target=current, extra={"fields": changed})
    return current


def _full_clean(obj: Any) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidInput(f"{field}: {'; '.join(messages)}", field=field) from None


# --- GIS layers ---------------------------------------------------------------------------------


def gis_max_bytes() -> int:
    return int(getattr(settings, "REPORTS_GIS_MAX_BYTES", GIS_MAX_BYTES_DEFAULT))


def gis_max_features() -> int:
    return int(getattr(settings, "REPORTS_GIS_MAX_FEATURES", GIS_MAX_FEATURES_DEFAULT))


@transaction.atomic
def gis_layer_upload(
    *,
    actor: Actor,
    name: str,
    kind: str,
    content: bytes,
    filename: str = "",
    description: str = "",
) -> GisLayer:
    """Store a bureau's GeoJSON layer. The whole file is checked first: a problem raises
    InvalidInput naming the feature index and why, and nothing is stored."""
    if not can_manage_gis_layers(actor):
        raise PermissionDenied(_("Only bureau admins and forecasters can upload GIS layers."))
    assert actor.bureau is not None
    name = clean_title(name, field="name", max_length=GisLayer._meta.get_field("name").max_length)
    if kind not in GisLayerKind.values:
        raise InvalidInput(
            _("Unknown kind %(kind)s; kinds are %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(GisLayerKind.values)},
            field="kind",
        )
    if len(content) > gis_max_bytes():
        raise InvalidInput(
            _("The file is %(size)s bytes; at most %(max)s bytes are accepted.")
            % {"size": len(content), "max": gis_max_bytes()},
            field="file",
        )
    # a GeoJSON object by name and content (portal.uploads); the parser then checks every feature
    checked = uploads.check_bytes(
        content,
        name=filename or "layer.geojson",
        allowed=("geojson",),
        field="file",
        max_bytes=gis_max_bytes(),
    )
    if GisLayer.objects.filter(bureau=actor.bureau, name=name).exists():
        raise InvalidInput(_("The bureau already has a layer named %(name)s.") % {"name": name}, field="name")
    try:
        features = parse_layer(content, max_features=gis_max_features())
    except GeoJSONError as exc:
        raise InvalidInput(str(exc), field="file") from None
    layer = GisLayer.objects.create(
        bureau=actor.bureau,
        name=name[:120],
        kind=kind,
        description=description,
        source_filename=checked.display_name if filename else "",
        feature_count=len(features),
        uploaded_by=actor.user,
    )
    GisFeature.objects.bulk_create(
        [
            GisFeature(
                bureau=actor.bureau, layer=layer, name=f.name, geometry=f.geometry, properties=f.properties
            )
            for f in features
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor, action="gis_layer.upload", target=layer, extra={"features": len(features), "kind": kind}
    )
    return layer


@transaction.atomic
def gis_layer_delete(*, actor: Actor, layer: GisLayer) -> None:
    """Delete one of the bureau's layers with its features."""
    if not can_manage_gis_layers(actor) or layer.bureau_id != actor.bureau_id:
        raise PermissionDenied(_("Only bureau admins and forecasters of the bureau can delete its layers."))
    audit_record(
        actor=actor,
        action="gis_layer.delete",
        target=layer,
        extra={"name": layer.name, "features": layer.feature_count},
    )
    layer.delete()


# --- gazetteer -----------------------------------------------------------------------------------


def towns_load(*, rows: Iterable[GazetteerRow], batch_size: int = 2000) -> int:
    """Insert or update gazetteer towns (by GeoNames id), then name each Chinese town's
    province from the shipped province outlines. Returns how many rows were written."""
    from django.contrib.gis.geos import Point

    written = 0
    batch: list[Town] = []

    def flush() -> None:
        nonlocal written
        Town.objects.bulk_create(
            batch,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["geonameid"],
            update_fields=[
                "name",
                "name_zh",
                "country_code",
                "admin1_code",
                "population",
                "location",
                "updated_at",
            ],
        )
        written += len(batch)
        batch.clear()

    with transaction.atomic():
        for row in rows:
            batch.append(
                Town(
                    geonameid=row.geonameid,
                    name=row.name,
                    name_zh=row.name_zh,
                    country_code=row.country_code,
                    admin1_code=row.admin1_code,
                    population=row.population,
                    location=Point(row.longitude, row.latitude, srid=4326),
                )
            )
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        towns_name_provinces()
    return written


def towns_name_provinces() -> int:
    """Set ``admin1_name`` of towns in China from the province outlines in portal/data."""
    from django.contrib.gis.geos import GEOSGeometry

    from printing.maps import DATA_DIR

    updated = 0
    with open(DATA_DIR / "china_provinces.geojson", encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    for feature in features:
        outline = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        # The outline's bounding box first (index), then the exact test on the geometry.
        updated += (
            Town.objects.filter(country_code="CN", location__bboverlaps=outline.envelope)
            .filter(location__intersects=outline)
            .update(admin1_name=feature["properties"]["name_zh"])
        )
    return updated
