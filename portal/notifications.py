"""Notifications beyond the app: each person's chosen channels, delivered by a task.

Every notification reaches the app (``services.notify_user`` stores it and pushes it live to
the bell). A person may add e-mail (when their account has an address) and SMS (when it has
a phone and the portal has an SMS gateway) on their own settings page. Each added channel is
one ``NotificationDelivery`` row that the ``portal.deliver_notification`` task moves, by id,
through the one workflow engine (``WORKFLOW``):
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
from django.utils.translation import gettext_lazy

from .exceptions import InvalidTransition, NotFound
from .models import Notification, NotificationDelivery, User
from .workflow import Transition, Workflow, register, transition

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


def _lock(actor: object, delivery: NotificationDelivery | int) -> NotificationDelivery:
    try:
        return (
            NotificationDelivery.objects.select_for_update(of=("self",))
            .select_related("notification")
            .get(pk=getattr(delivery, "pk", delivery))
        )
    except NotificationDelivery.DoesNotExist:
        raise NotFound() from None


def _by_the_worker(actor: object, delivery: NotificationDelivery) -> bool:
    """Deliveries are moved by their task (no actor), never by a person."""
    return actor is None


# pending --sent--> sent; pending --fail--> failed (tries spent, or the worker died)
WORKFLOW = register(
    Workflow(
        name="notification_delivery",
        model=NotificationDelivery,
        state_field="status",
        noun=gettext_lazy("notification delivery"),
        lock=_lock,
        bureau=lambda delivery: None,
        transitions={
            "sent": Transition(
                frozenset({Status.PENDING}), Status.SENT, _by_the_worker, gettext_lazy("delivered")
            ),
            "fail": Transition(
                frozenset({Status.PENDING}), Status.FAILED, _by_the_worker, gettext_lazy("delivery failed")
            ),
        },
    )
)


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
        attempts = delivery.attempts + 1
        try:
            SENDERS[delivery.channel](delivery)
        except Exception as exc:  # noqa: BLE001 - any channel's own error (SMTP, HTTP, ...) is kept on the row and retried
            logger.warning("delivery %s over %s failed: %s", delivery.pk, delivery.channel, exc)
            error = str(exc)[:500]
            if attempts >= MAX_ATTEMPTS:
                return transition(
                    delivery, "fail", None, error, workflow=WORKFLOW, attempts=attempts, last_error=error
                )
            delivery.attempts, delivery.last_error = attempts, error
            delivery.save(update_fields=["attempts", "last_error", "updated_at"])
            _enqueue(delivery.pk, countdown=RETRY_SECONDS * 2 ** (attempts - 1))
            return delivery
        return transition(
            delivery,
            "sent",
            None,
            workflow=WORKFLOW,
            attempts=attempts,
            sent_at=timezone.now(),
            last_error="",
        )


def delivery_fail(*, delivery_id: int, message: str) -> bool:
    """End a pending delivery failed with ``message`` (the task guard, the watchdog)."""
    try:
        transition(delivery_id, "fail", None, message, workflow=WORKFLOW, last_error=message[:500])
    except (InvalidTransition, NotFound):  # already final, or gone
        return False
    return True


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
