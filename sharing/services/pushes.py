"""Pushes (省里主动给): a bureau sends a dataset to bureaus it chose, and tells them when new
data arrive.

A push is a standing grant to each bureau chosen (the whole dataset, no expiry, until the
push is stopped) plus announcements. New data are heard of through what the lower apps
already say: a quake's arrival (``catalog.arrival`` listener), new series
(``series.written``), a built special-topic report (``topic_report.ready``); product runs
and issued trend and consultation reports announce nothing, so the beat sweep looks for
them every 15 minutes. Each new thing is told once per push (``PushNotice``, unique per push
and key); series at most once an hour per push (a station writes every minute).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Notification
from portal.services import audit_record, notify_user
from portal.timefmt import beijing
from portal.workflow import transition
from sharing import permissions, selectors
from sharing.models import DatasetKind, Grant, Push, PushNotice, SharedReportKind

from . import push_workflow
from .requests import _text, grant_revoke

if TYPE_CHECKING:
    from portal.models import Bureau
    from portal.tenancy import Actor
    from sharing.models import Dataset

NOTE_MAX = 2000
#: How far back the sweep looks for runs and reports (a push never announces what came
#: before it started).
SWEEP_LOOKBACK = dt.timedelta(days=2)


@transaction.atomic
def push_create(*, actor: Actor, dataset: Dataset, bureaus: list[str], note: Any = "") -> Push:
    """Push ``dataset`` to the bureaus of the codes ``bureaus``: one standing grant each,
    audited; their people are told. 403 unless the actor looks after the dataset's bureau;
    400 naming ``bureaus`` for none chosen, an unknown code or the own bureau among them."""
    if not permissions.can_push_dataset(actor, dataset):
        raise PermissionDenied(_("Only the dataset's data stewards and bureau admins push it."))
    codes = sorted({code.strip().upper() for code in bureaus if isinstance(code, str) and code.strip()})
    found = selectors.bureaus_by_code(codes=codes)
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise InvalidInput(_("No such bureau: %(codes)s.") % {"codes": ", ".join(unknown)}, field="bureaus")
    chosen = {b.pk: b for b in found.values()}
    if not chosen:
        raise InvalidInput(_("Choose at least one bureau to push to."), field="bureaus")
    if dataset.bureau_id in chosen:
        raise InvalidInput(_("A bureau does not push to itself."), field="bureaus")
    text = _text(note, name="note", needed=False, limit=NOTE_MAX)
    push = Push.objects.create(bureau_id=dataset.bureau_id, dataset=dataset, note=text, created_by=actor.user)
    audit_record(
        actor=actor,
        action="push.create",
        target=push,
        to_state=push.state,
        comment=text,
        extra={"dataset": dataset.pk, "bureaus": sorted(b.code for b in chosen.values())},
    )
    for bureau in sorted(chosen.values(), key=lambda b: b.code):
        grant = Grant.objects.create(
            bureau_id=dataset.bureau_id, dataset=dataset, grantee=bureau, push=push, granted_by=actor.user
        )
        audit_record(
            actor=actor,
            action="grant.create",
            target=grant,
            extra={"push": push.pk, "dataset": dataset.pk, "grantee": bureau.code},
        )
        title = _("%(owner)s pushes %(dataset)s to your bureau") % {
            "owner": dataset.bureau.name_zh,
            "dataset": dataset.title_zh,
        }
        _tell_bureau(bureau, title=title, body=text, url=dataset.get_absolute_url())
    return push


@transaction.atomic
def push_stop(*, actor: Actor, push: Push, comment: str = "", now: dt.datetime | None = None) -> Push:
    """active → stopped: its grants end now; the bureaus it went to are told."""
    now = now or timezone.now()
    locked = transition(
        push,
        "stop",
        actor,
        comment,
        workflow=push_workflow.WORKFLOW,
        stopped_at=now,
        stopped_by=actor.user,
    )
    for grant in (
        Grant.objects.select_for_update()
        .filter(push=locked, revoked_at__isnull=True)
        .select_related("grantee")
    ):
        grant_revoke(actor=actor, grant=grant, comment=comment, now=now)
        _tell_bureau(
            grant.grantee,
            title=_("%(owner)s stopped pushing %(dataset)s")
            % {
                "owner": locked.bureau.name_zh,
                "dataset": locked.dataset.title_zh,
            },
            body=comment,
            url=locked.dataset.get_absolute_url(),
        )
    return locked


def _tell_bureau(bureau: Bureau, *, title: str, body: str, url: str) -> int:
    people = selectors.people_told_of_pushes(bureau=bureau)
    for user in people:
        notify_user(
            user=user,
            title=title,
            body=body,
            url=url,
            level=Notification.Level.INFO,
            kind="push",
            bureau=bureau,
        )
    return len(people)


# --- announcements --------------------------------------------------------------------------


def _announce(push: Push, *, key: str, title: str, url: str) -> PushNotice | None:
    """Tell the push's live grantees of one new thing, once per push and key."""
    try:
        with transaction.atomic():
            notice = PushNotice.objects.create(push=push, key=key, title=title[:200])
    except IntegrityError:  # told already (a hook heard twice, the sweep after a hook)
        return None
    told = 0
    now = timezone.now()
    for grant in push.grants.all():
        if grant.is_live(now):
            told += _tell_bureau(grant.grantee, title=title, body="", url=url)
    notice.recipients = told
    notice.save(update_fields=["recipients"])
    Push.objects.filter(pk=push.pk).update(last_announced_at=now)
    audit_record(
        actor=None,
        action="push.announce",
        target=push,
        extra={"key": key, "recipients": told},
    )
    return notice


def _words(push: Push, what: str) -> str:
    return _("New in %(dataset)s (pushed by %(owner)s): %(what)s") % {
        "dataset": push.dataset.title_zh,
        "owner": push.dataset.bureau.name_zh,
        "what": what,
    }


def announce_event(*, event_id: int) -> list[PushNotice]:
    """A quake entered a bureau's catalog: tell the bureaus its catalog is pushed to."""
    event = selectors.event_for_worker(event_id=event_id)
    if event is None or event.status == "deleted":
        return []
    datasets = selectors.datasets_for_worker(bureau_id=event.bureau_id, kinds=[DatasetKind.CATALOG])
    notices = []
    for push in selectors.pushes_active_for_worker(dataset_ids=[d.pk for d in datasets]):
        notice = _announce(
            push, key=f"event:{event.pk}", title=_words(push, str(event)), url=event.get_absolute_url()
        )
        if notice is not None:
            notices.append(notice)
    return notices


def announce_series(
    *, bureau_id: int, channel_ids: list[int], now: dt.datetime | None = None
) -> list[PushNotice]:
    """New samples of a bureau's channels: tell the bureaus the station's or the item's series
    are pushed to (once an hour per push at most)."""
    now = now or timezone.now()
    channels = [c for c in selectors.channels_for_worker(channel_ids=channel_ids) if c.bureau_id == bureau_id]
    if not channels:
        return []
    stations = {c.station_id for c in channels}
    items = {c.item_id for c in channels}
    datasets = [
        d
        for d in selectors.datasets_for_worker(
            bureau_id=bureau_id, kinds=[DatasetKind.STATION_SERIES, DatasetKind.ITEM_SERIES]
        )
        if (d.kind == DatasetKind.STATION_SERIES and d.station_id in stations)
        or (d.kind == DatasetKind.ITEM_SERIES and d.item_id in items)
    ]
    hour = beijing(now).strftime("%Y%m%d%H")
    notices = []
    for push in selectors.pushes_active_for_worker(dataset_ids=[d.pk for d in datasets]):
        names = sorted(
            str(c)
            for c in channels
            if c.station_id == push.dataset.station_id or c.item_id == push.dataset.item_id
        )
        what = _("new data of %(channels)s") % {
            "channels": ", ".join(names[:5]) + ("…" if len(names) > 5 else "")
        }
        notice = _announce(
            push, key=f"series:{hour}", title=_words(push, what), url=push.dataset.get_absolute_url()
        )
        if notice is not None:
            notices.append(notice)
    return notices


def announce_topic_report(*, report_id: int) -> list[PushNotice]:
    """A special-topic report was built: tell the bureaus the bureau's topic reports go to."""
    report = selectors.topic_report_for_worker(report_id=report_id)
    if report is None:
        return []
    datasets = [
        d
        for d in selectors.datasets_for_worker(bureau_id=report.bureau_id, kinds=[DatasetKind.REPORTS])
        if d.report_kind == SharedReportKind.TOPIC
    ]
    notices = []
    for push in selectors.pushes_active_for_worker(dataset_ids=[d.pk for d in datasets]):
        notice = _announce(
            push,
            key=f"report:topic_report:{report.pk}",
            title=_words(push, str(report.event)),
            url=report.get_absolute_url(),
        )
        if notice is not None:
            notices.append(notice)
    return notices


def pushes_sweep(*, now: dt.datetime | None = None) -> list[PushNotice]:
    """The beat job: announce the product runs and issued reports of pushed datasets that no
    hook announced (since the push started, at most two days back)."""
    now = now or timezone.now()
    notices = []
    for push in selectors.pushes_to_sweep_for_worker():
        since = max(push.created_at, now - SWEEP_LOOKBACK)
        fresh = selectors.new_things_for_worker(dataset=push.dataset, since=since)
        if not fresh:
            continue
        for thing in fresh:
            notice = _announce(push, key=thing.key, title=_words(push, thing.label), url=thing.url)
            if notice is not None:
                notices.append(notice)
    return notices
