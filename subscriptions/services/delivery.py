"""Delivery of the notices (``notices``) over the subscription's channels (in the app, e-mail,
WeChat Work).

* ``notice_deliver``: one try per channel owed and due, with the notice claimed (a row lock,
  ``SKIP LOCKED``) so that two workers never send it twice; a failure is recorded, retried with
  backoff, and after the last try told to the person in the app (never silent).
* ``sweep``: the hour's digests, and the notices whose message (first or retry) was lost.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.services import notify_user
from subscriptions import selectors
from subscriptions.models import Channel, Subscription, SubscriptionDelivery, SubscriptionNotice

MAX_ATTEMPTS = 4
#: Seconds before try n + 1 (n = 1, 2, 3): 1 min, 5 min, 25 min.
BACKOFF_SECONDS = (60, 300, 1500)


# --- one notice -----------------------------------------------------------------------------------


def notice_enqueue(*, notice_id: int, at: dt.datetime | None = None, countdown: float = 0) -> None:
    """Deliver the notice on commit: at ``at`` when that is still ahead, else after ``countdown``
    seconds."""
    from subscriptions.tasks import deliver_notice_task

    def send() -> None:
        if at is not None and at > timezone.now():
            deliver_notice_task.apply_async(kwargs={"notice_id": notice_id}, eta=at)
        else:
            deliver_notice_task.apply_async(kwargs={"notice_id": notice_id}, countdown=countdown)

    transaction.on_commit(send)


def _absolute(url: str) -> str:
    base = settings.SITE_URL.rstrip("/")
    return f"{base}{url}" if url else base


def _send(notice: SubscriptionNotice, channel: str) -> None:
    subscription = notice.subscription
    owner = subscription.owner
    if channel == Channel.IN_APP:
        notify_user(
            user=owner,
            title=notice.title[:200],
            body=notice.body,
            url=notice.url,
            kind="subscription",
            bureau=subscription.bureau,
        )
    elif channel == Channel.EMAIL:
        if not owner.email:
            raise RuntimeError(_("Your account has no e-mail address."))
        send_mail(notice.title, f"{notice.body}\n\n{_absolute(notice.url)}", None, [owner.email])
    elif channel == Channel.WECHAT:
        from reports.services.push_channels import wechat_send

        wechat_send(
            subscription.wechat_webhook_url, f"**{notice.title}**\n{notice.body}\n{_absolute(notice.url)}"
        )
    else:
        raise RuntimeError(f"unknown channel {channel}")


def _next_try_at(tries: list[SubscriptionDelivery]) -> dt.datetime | None:
    """When a channel's next try is due after its failed ``tries`` (None: no try yet)."""
    if not tries:
        return None
    last = max(tries, key=lambda t: t.attempt)
    return last.created_at + dt.timedelta(
        seconds=BACKOFF_SECONDS[min(last.attempt, len(BACKOFF_SECONDS)) - 1]
    )


def _owed(notice: SubscriptionNotice, tries: list[SubscriptionDelivery]) -> dict[str, dt.datetime | None]:
    """The channels of the notice still owed a try (not sent, tries left): when each is due."""
    owed: dict[str, dt.datetime | None] = {}
    for channel in notice.subscription.channels:
        mine = [t for t in tries if t.channel == channel]
        if any(t.outcome == SubscriptionDelivery.Outcome.SENT for t in mine) or len(mine) >= MAX_ATTEMPTS:
            continue
        owed[channel] = _next_try_at(mine)
    return owed


#: A message may run this much before its retry's time (clocks of two workers) and still try.
RETRY_SLACK = dt.timedelta(seconds=5)


def _claim(notice_id: int) -> SubscriptionNotice | None:
    """The notice locked for this transaction, or None when it is gone or another worker holds
    it (``SKIP LOCKED``: that worker is delivering it now, and whatever it leaves owed it
    enqueues again)."""
    return (
        SubscriptionNotice.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("subscription", "subscription__owner", "bureau")
        .filter(pk=notice_id)
        .first()
    )


def notice_deliver(*, notice_id: int, now: dt.datetime | None = None) -> list[SubscriptionDelivery]:
    """One try on every channel of the notice that is owed one and due. A failed try is
    retried after ``BACKOFF_SECONDS``; the last failure is told to the person in the app.

    Never twice: the notice is claimed with a row lock for the whole delivery (a second worker
    on the same notice skips it), and a channel already sent, or tried and not yet due again,
    is left alone, so a message delivered twice (a lost acknowledgement, the sweep's requeue)
    sends nothing more. Only a run that tried something enqueues the next retry, once.
    """
    now = now or timezone.now()
    tries: list[SubscriptionDelivery] = []
    with transaction.atomic():
        notice = _claim(notice_id)
        if notice is None or not notice.subscription.is_active:
            return []  # gone, another worker's, or the person turned the subscription off
        before = list(notice.deliveries.all())
        for channel, due in _owed(notice, before).items():
            if due is not None and due > now + RETRY_SLACK:
                continue  # a duplicate message ahead of the retry already scheduled
            attempt = sum(1 for t in before if t.channel == channel) + 1
            error = ""
            try:
                _send(notice, channel)
            except Exception as exc:  # noqa: BLE001 - any sender failure is recorded, never lost
                error = str(exc)[:2000] or exc.__class__.__name__
            row = SubscriptionDelivery.objects.create(
                bureau=notice.bureau,
                notice=notice,
                channel=channel,
                attempt=attempt,
                outcome=SubscriptionDelivery.Outcome.FAILED if error else SubscriptionDelivery.Outcome.SENT,
                error=error,
            )
            tries.append(row)
            if error and attempt >= MAX_ATTEMPTS and channel != Channel.IN_APP:
                notify_user(
                    user=notice.subscription.owner,
                    title=_("Your subscription could not reach you by %(channel)s")
                    % {"channel": Channel(channel).label},
                    body=f"{notice.title}: {error}",
                    url=reverse("subscriptions:list"),
                    level="warning",
                    kind="subscription",
                    bureau=notice.bureau,
                )
        if tries:
            dues = [d for d in _owed(notice, before + tries).values() if d is not None]
            if dues:
                notice_enqueue(
                    notice_id=notice.pk, countdown=max(0.0, (min(dues) - timezone.now()).total_seconds())
                )
    return tries


# --- the sweep: digests and held notices whose message was lost ------------------------------

#: A due notice (or a retry) with no try this long after its time lost its message (a worker
#: restart, a broker's redelivery window shorter than the quiet hours): the sweep sends it again.
LOST_AFTER = dt.timedelta(minutes=5)
SWEEP_HORIZON = dt.timedelta(days=2)


def _digest_send(subscription: Subscription, notice_ids: list[int]) -> list[SubscriptionDelivery]:
    """One message per channel for the notices still owed on it; a try row per notice and
    channel. The notices are claimed first (``SKIP LOCKED``): two sweeps never send one twice."""
    rows: list[SubscriptionDelivery] = []
    with transaction.atomic():
        notices = list(
            SubscriptionNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notice_ids, subscription=subscription)
            .prefetch_related("deliveries")
            .order_by("deliver_at", "pk")
        )
        if not notices:
            return rows
        title = _("%(count)d messages of your subscription %(name)s") % {
            "count": len(notices),
            "name": subscription.name or f"#{subscription.pk}",
        }
        digest = SubscriptionNotice(
            bureau=subscription.bureau,
            subscription=subscription,
            title=title,
            body="\n".join(f"- {n.title} {_absolute(n.url)}" for n in notices),
            url=reverse("subscriptions:list"),
        )
        for channel in subscription.channels:
            owed = [n for n in notices if channel in _owed(n, list(n.deliveries.all()))]
            if not owed:
                continue
            error = ""
            try:
                _send(digest, channel)
            except Exception as exc:  # noqa: BLE001 - any sender failure is recorded, never lost
                error = str(exc)[:2000] or exc.__class__.__name__
            rows.extend(
                SubscriptionDelivery.objects.create(
                    bureau=notice.bureau,
                    notice=notice,
                    channel=channel,
                    attempt=sum(1 for t in notice.deliveries.all() if t.channel == channel) + 1,
                    outcome=SubscriptionDelivery.Outcome.FAILED
                    if error
                    else SubscriptionDelivery.Outcome.SENT,
                    error=error,
                )
                for notice in owed
            )
    return rows


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every few minutes (beat ``subscriptions.sweep``): send the due digests, one message per
    subscription and channel, and enqueue again a due notice whose try (first or retry) no
    message reached within ``LOST_AFTER``."""
    now = now or timezone.now()
    lost = []
    for notice in selectors.notices_owed_for_worker(before=now - LOST_AFTER, since=now - SWEEP_HORIZON):
        owed = _owed(notice, list(notice.deliveries.all()))
        if any((due or notice.deliver_at) + LOST_AFTER <= now for due in owed.values()):
            lost.append(notice.pk)
    for notice_id in lost:
        notice_enqueue(notice_id=notice_id)
    digests = selectors.digest_notices_due_for_worker(before=now, since=now - SWEEP_HORIZON)
    sent = 0
    for subscription, notices in digests:
        sent += bool(_digest_send(subscription, [n.pk for n in notices]))
    return {"requeued": len(lost), "digests": sent}
