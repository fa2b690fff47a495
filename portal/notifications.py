"""Notifications beyond the app: each person's chosen channels, delivered by a task.

Every notification reaches the app (``services.notify_user`` stores it and pushes it live to
the bell). A person may add e-mail (when their account has an address) and SMS (when it has
a phone and the portal has an SMS gateway) on their own settings page. Each added channel is
one ``NotificationDelivery`` row that the ``portal.deliver_notification`` task moves, by id:
pending → sent, or → failed with the error once ``MAX_ATTEMPTS`` tries are spent; the job
watchdog fails a delivery whose worker died. The notifications page shows each one's state.

E-mail goes through Django's mail backend (the one the topic-report push uses); SMS through
the HTTP gateway of ``SMS_GATEWAY_URL`` (POST ``{"to", "text"}``), the only SMS sender of the
portal.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification, NotificationDelivery, User

logger = logging.getLogger(__name__)

Channel = NotificationDelivery.Channel
Status = NotificationDelivery.Status
MAX_ATTEMPTS = 3
RETRY_SECONDS = 60
#: A delivery still pending this long after its last try has lost its worker or its message.
ABANDONED_AFTER = timedelta(minutes=15)
JOB = "portal.notification_delivery"


def sms_available() -> bool:
    return bool(getattr(settings, "SMS_GATEWAY_URL", ""))


def channels_of(user: User) -> dict[str, str]:
    """The channels beyond the app this person chose and can be reached on: channel -> address."""
    chosen: dict[str, str] = {}
    if user.notify_by_email and user.email:
        chosen[Channel.EMAIL] = user.email
    if user.notify_by_sms and user.phone and sms_available():
        chosen[Channel.SMS] = user.phone
    return chosen


def deliveries_queue(notification: Notification) -> list[NotificationDelivery]:
    """One delivery per chosen channel, sent by the task once the notification is committed."""
    rows = [
        NotificationDelivery.objects.create(notification=notification, channel=channel, target=target)
        for channel, target in channels_of(notification.recipient).items()
    ]
    for row in rows:
        _enqueue(row.pk)
    return rows


def _enqueue(delivery_id: int, countdown: float = 0) -> None:
    from .tasks import deliver_notification_task

    transaction.on_commit(
        lambda: deliver_notification_task.apply_async(
            kwargs={"delivery_id": delivery_id}, countdown=countdown
        )
    )


def _text(notification: Notification) -> str:
    link = notification.url
    if link.startswith("/"):
        link = settings.SITE_URL.rstrip("/") + link
    return "\n".join(part for part in (notification.title, notification.body, link) if part)


def _send_email(delivery: NotificationDelivery) -> None:
    notification = delivery.notification
    send_mail(
        subject=notification.title,
        message=_text(notification),
        from_email=None,
        recipient_list=[delivery.target],
        fail_silently=False,
    )


def _send_sms(delivery: NotificationDelivery) -> None:
    url = getattr(settings, "SMS_GATEWAY_URL", "")
    if not url:
        raise RuntimeError(_("No SMS gateway is configured."))
    text = _text(delivery.notification)[:300]
    response = requests.post(url, json={"to": delivery.target, "text": text}, timeout=10)
    if response.status_code >= 400:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")


SENDERS = {Channel.EMAIL: _send_email, Channel.SMS: _send_sms}


def deliver(*, delivery_id: int) -> NotificationDelivery | None:
    """Try one delivery once; on an error try again later, or end it failed. Idempotent."""
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update()
            .select_related("notification")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != Status.PENDING:
            return delivery  # gone, or already final: a duplicate message changes nothing
        delivery.attempts += 1
        try:
            SENDERS[delivery.channel](delivery)
        except Exception as exc:  # the channel's own error (SMTP, HTTP): kept on the row
            logger.warning("delivery %s over %s failed: %s", delivery.pk, delivery.channel, exc)
            delivery.last_error = str(exc)[:500]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = Status.FAILED
            else:
                _enqueue(delivery.pk, countdown=RETRY_SECONDS * 2 ** (delivery.attempts - 1))
        else:
            delivery.status, delivery.sent_at, delivery.last_error = Status.SENT, timezone.now(), ""
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error", "updated_at"])
        return delivery


def delivery_fail(*, delivery_id: int, message: str) -> bool:
    """End a pending delivery failed with ``message`` (the task guard, the watchdog)."""
    return bool(
        NotificationDelivery.objects.filter(pk=delivery_id, status=Status.PENDING).update(
            status=Status.FAILED, last_error=message[:500], updated_at=timezone.now()
        )
    )


def deliveries_fail_abandoned(now: datetime | None = None) -> list[int]:
    """Pending deliveries nobody has tried for ``ABANDONED_AFTER``: failed (the watchdog)."""
    cutoff = (now or timezone.now()) - ABANDONED_AFTER
    ids = list(
        NotificationDelivery.objects.filter(status=Status.PENDING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    message = _("The delivery's worker ended before it was sent.")
    return [pk for pk in ids if delivery_fail(delivery_id=pk, message=message)]


def preferences_save(*, user: User, email: bool, sms: bool) -> User:
    """The person's own choice of channels (a channel they cannot be reached on stays off)."""
    user.notify_by_email = bool(email and user.email)
    user.notify_by_sms = bool(sms and user.phone and sms_available())
    user.save(update_fields=["notify_by_email", "notify_by_sms"])
    return user
