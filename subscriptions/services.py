"""Writes of subscriptions: a person's own subscriptions, the notices matched for them and
every try to deliver one.

* ``subscription_create`` / ``subscription_update`` / ``subscription_delete``: the person's own
  (``parse_region`` turns a GeoJSON polygon, a circle or a bureau into the stored polygon).
* ``event_match``: an event arrived (or a new version of it): one notice per subscription that
  hears of it (``matching.decide``), queued for delivery now or at the end of the quiet hours.
* ``topic_report_match``: a special-topic report was built; the subscribers of its quake who
  chose the product and may read the report hear of it.
* ``notice_deliver``: one try per channel still owed; a failure is recorded, retried with
  backoff, and after the last try told to the person in the app (never silent).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.selectors import event_get_by_pk
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.geo import parse_area
from portal.links import check_link
from portal.selectors import bureau_by_code, portal_disciplines
from portal.services import notify_user
from portal.tenancy import actor_for

from . import matching, selectors
from .models import ANOMALIES_PREFIX, Channel, Product, Subscription, SubscriptionDelivery, SubscriptionNotice

if TYPE_CHECKING:
    from catalog.models import Event
    from portal.tenancy import Actor

MAX_ATTEMPTS = 4
#: Seconds before try n + 1 (n = 1, 2, 3): 1 min, 5 min, 25 min.
BACKOFF_SECONDS = (60, 300, 1500)
CIRCLE_SEGMENTS = 64
MAX_RADIUS_KM = 2000.0
EARTH_RADIUS_KM = 6371.0
MAGNITUDE_RANGE = (-2.0, 10.0)


# --- input --------------------------------------------------------------------------------


def circle_polygon(lon: float, lat: float, radius_km: float, segments: int = CIRCLE_SEGMENTS) -> Polygon:
    """The circle of ``radius_km`` around (lon, lat) as a polygon of ``segments`` corners, each
    the destination point at that distance on a sphere (the direct geodesic problem on a sphere,
    e.g. Snyder 1987, "Map Projections — A Working Manual", USGS PP 1395, eq. 5-5/5-6)."""
    delta = radius_km / EARTH_RADIUS_KM
    phi1, lam1 = math.radians(lat), math.radians(lon)
    ring = []
    for i in range(segments):
        theta = 2 * math.pi * i / segments
        phi2 = math.asin(
            math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta)
        )
        lam2 = lam1 + math.atan2(
            math.sin(theta) * math.sin(delta) * math.cos(phi1),
            math.cos(delta) - math.sin(phi1) * math.sin(phi2),
        )
        ring.append((math.degrees(lam2), math.degrees(phi2)))
    ring.append(ring[0])
    return Polygon(ring, srid=4326)


def parse_region(value: Any, *, field: str = "region") -> tuple[MultiPolygon | None, dict[str, Any]]:
    """The stored region and what was given: a GeoJSON (Multi)Polygon, ``{"center": [lon, lat],
    "radius_km": r}``, ``{"bureau": "JX"}`` (its jurisdiction), or ``{"china": true}`` / null
    (all of China)."""
    if value is None or value == {"china": True}:
        return None, {"kind": "china"}
    if isinstance(value, dict) and "bureau" in value:
        bureau = bureau_by_code(code=str(value["bureau"])) if isinstance(value["bureau"], str) else None
        if bureau is None or bureau.jurisdiction is None:
            raise InvalidInput(_("No bureau with a jurisdiction has this code."), field=field)
        return MultiPolygon(*bureau.jurisdiction, srid=4326), {"kind": "bureau", "bureau": bureau.code}
    if isinstance(value, dict) and "center" in value:
        center, radius = value.get("center"), value.get("radius_km")
        if (
            not isinstance(center, list)
            or len(center) != 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in center)
            or not (-180 <= center[0] <= 180 and -90 <= center[1] <= 90)
        ):
            raise InvalidInput(_("A circle's centre is [longitude, latitude] on Earth."), field=field)
        if (
            isinstance(radius, bool)
            or not isinstance(radius, (int, float))
            or not 0 < radius <= MAX_RADIUS_KM
        ):
            raise InvalidInput(
                _("A circle's radius is more than 0 and at most %(max)d km.") % {"max": MAX_RADIUS_KM},
                field=field,
            )
        circle = circle_polygon(float(center[0]), float(center[1]), float(radius))
        return (
            parse_area(circle.json, field=field),
            {"kind": "circle", "center": [float(center[0]), float(center[1])], "radius_km": float(radius)},
        )
    return parse_area(value, field=field), {"kind": "polygon"}


def _magnitude(value: Any, field: str) -> float:
    low, high = MAGNITUDE_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidInput(_("A magnitude is a number."), field=field)
    if not low <= value <= high:
        raise InvalidInput(_("A magnitude lies between -2 and 10."), field=field)
    return float(value)


def _quiet_hours(value: Any) -> tuple[dt.time | None, dt.time | None]:
    if value in (None, []):
        return None, None
    message = _('Quiet hours are two Beijing times ["HH:MM", "HH:MM"], start and end, not equal.')
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) for v in value):
        raise InvalidInput(message, field="quiet_hours")
    try:
        start, end = (dt.time.fromisoformat(v) for v in value)
    except ValueError:
        raise InvalidInput(message, field="quiet_hours") from None
    if start == end or start.tzinfo or end.tzinfo:
        raise InvalidInput(message, field="quiet_hours")
    return start, end


def _products(value: Any) -> list[str]:
    disciplines = {d.code for d in portal_disciplines()}
    if not isinstance(value, list) or not value:
        raise InvalidInput(_("Choose at least one product."), field="products")
    for item in value:
        known = isinstance(item, str) and (
            item in Product.values
            or (item.startswith(ANOMALIES_PREFIX) and item.removeprefix(ANOMALIES_PREFIX) in disciplines)
        )
        if not known:
            raise InvalidInput(_("Unknown product: %(name)s.") % {"name": str(item)[:60]}, field="products")
    return list(dict.fromkeys(value))


def _channels(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise InvalidInput(_("Choose at least one channel."), field="channels")
    for item in value:
        if not isinstance(item, str) or item not in Channel.values:
            raise InvalidInput(_("Unknown channel: %(name)s.") % {"name": str(item)[:60]}, field="channels")
    return list(dict.fromkeys(value))


def _clean(data: dict[str, Any], current: Subscription | None) -> dict[str, Any]:
    """The model's values from the API's fields (all of them for a new one, those given for a
    change); InvalidInput naming the field."""
    values: dict[str, Any] = {}
    if "region" in data or current is None:
        values["region"], values["region_spec"] = parse_region(data.get("region"))
    for field in ("min_magnitude", "min_magnitude_night"):
        if field in data:
            values[field] = _magnitude(data[field], field)
        elif current is None and field == "min_magnitude":
            raise InvalidInput(_("This field is required."), field=field)
    if current is None and "min_magnitude_night" not in values:
        values["min_magnitude_night"] = values["min_magnitude"]
    if "quiet_hours" in data:
        values["quiet_start"], values["quiet_end"] = _quiet_hours(data["quiet_hours"])
    if "products" in data or current is None:
        values["products"] = _products(data.get("products", [Product.QUICK_REPORT]))
    if "channels" in data or current is None:
        values["channels"] = _channels(data.get("channels", [Channel.IN_APP]))
    if "wechat_webhook_url" in data:
        values["wechat_webhook_url"] = check_link(
            str(data["wechat_webhook_url"] or ""), field="wechat_webhook_url"
        )
    for flag in ("digest", "suppress_aftershocks", "is_active"):
        if flag in data:
            values[flag] = bool(data[flag])
    if "name" in data:
        name = str(data["name"] or "").strip()
        if len(name) > 100:
            raise InvalidInput(_("At most 100 characters."), field="name")
        values["name"] = name
    channels = values.get("channels", current.channels if current else [])
    webhook = values.get("wechat_webhook_url", current.wechat_webhook_url if current else "")
    if Channel.WECHAT in channels and not webhook:
        raise InvalidInput(_("WeChat Work needs your group bot's address."), field="wechat_webhook_url")
    return values


# --- the person's subscriptions ---------------------------------------------------------------


def subscription_create(*, actor: Actor, data: dict[str, Any]) -> Subscription:
    if actor.bureau is None:
        raise PermissionDenied(_("Choose the bureau you act for to subscribe."))
    values = _clean(data, None)
    return Subscription.objects.create(bureau=actor.bureau, owner=actor.user, **values)


def subscription_update(*, actor: Actor, subscription: Subscription, data: dict[str, Any]) -> Subscription:
    values = _clean(data, subscription)
    with transaction.atomic():
        row = selectors.subscription_list(actor=actor).select_for_update().get(pk=subscription.pk)
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
    return row


def subscription_delete(*, actor: Actor, subscription: Subscription) -> None:
    selectors.subscription_list(actor=actor).filter(pk=subscription.pk).delete()


# --- matching ---------------------------------------------------------------------------------


def _rule(subscription: Subscription) -> matching.Rule:
    return matching.Rule(
        min_magnitude=subscription.min_magnitude,
        min_magnitude_night=subscription.min_magnitude_night,
        quiet_start=subscription.quiet_start,
        quiet_end=subscription.quiet_end,
        digest=subscription.digest,
        suppress_aftershocks=subscription.suppress_aftershocks,
    )


def _owner_reads(subscription: Subscription, event_id: int) -> bool:
    actor = actor_for(subscription.owner, subscription.bureau.code)
    try:
        event_get_by_pk(actor=actor, event_id=event_id)
    except NotFound:
        return False
    return actor is not None


def _event_text(event: Event, kind: str) -> tuple[str, str]:
    values = {
        "magnitude": f"{event.magnitude:.1f}",
        "place": event.location_name or f"{event.latitude:.2f}, {event.longitude:.2f}",
    }
    if kind == SubscriptionNotice.Kind.UPDATE:
        title = _("Update: M%(magnitude)s %(place)s") % values
    else:
        title = _("Earthquake M%(magnitude)s %(place)s") % values
    body = _("Origin time %(time)s (Beijing), depth %(depth)s km.") % {
        "time": timezone.localtime(event.origin_time, matching.BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
        "depth": "—" if event.depth_km is None else f"{event.depth_km:g}",
    }
    return title, body


def _notice(
    subscription: Subscription,
    decision: matching.Decision,
    *,
    product: str,
    event: Event,
    ref_id: int,
    version: int,
    title: str,
    body: str,
    url: str,
) -> SubscriptionNotice | None:
    """The notice, once: a second arrival of the same version finds it made (None)."""
    try:
        with transaction.atomic():
            notice = SubscriptionNotice.objects.create(
                bureau=subscription.bureau,
                subscription=subscription,
                product=product,
                event=event,
                ref_id=ref_id,
                version=version,
                kind=decision.kind,
                decision=decision.action,
                deliver_at=decision.deliver_at or timezone.now(),
                title=title[:300],
                body=body,
                url=url,
            )
    except IntegrityError:
        return None
    if decision.action != SubscriptionNotice.Decision.DIGEST:
        _enqueue(notice.pk, at=decision.deliver_at)
    return notice


def _quake(event: Event) -> matching.Quake:
    return matching.Quake(
        event.pk, event.origin_time, event.longitude, event.latitude, event.magnitude or 0.0
    )


def _match(
    event: Event, product: str, *, ref_id: int, version: int, url: str, now: dt.datetime, readable: Any = None
) -> list[SubscriptionNotice]:
    if event.magnitude is None:
        return []
    quake = _quake(event)
    earlier = selectors.mainshock_candidates_for_worker(
        event=event, min_magnitude=matching.MAINSHOCK_MIN, days=matching.suppression_days(10)
    )
    made = []
    for subscription in selectors.subscriptions_containing_for_worker(
        longitude=event.longitude, latitude=event.latitude
    ):
        if product not in subscription.products or not _owner_reads(subscription, event.pk):
            continue
        if readable is not None and not readable(subscription):
            continue
        before = selectors.sent_before(subscription=subscription, product=product, ref_id=ref_id)
        decision = matching.decide(_rule(subscription), quake, now=now, earlier=earlier, sent_before=before)
        if decision.action == "skip":
            continue
        title, body = _event_text(event, decision.kind)
        if product == Product.TOPIC_REPORT:
            title = _("Special-topic report: %(title)s") % {"title": title}
        notice = _notice(
            subscription,
            decision,
            product=product,
            event=event,
            ref_id=ref_id,
            version=version,
            title=title,
            body=body,
            url=url,
        )
        if notice is not None:
            made.append(notice)
    return made


def event_match(*, event_id: int, now: dt.datetime | None = None) -> list[SubscriptionNotice]:
    """An event arrived or changed: the notices of the subscriptions that hear of it."""
    from catalog.selectors import event_get_for_worker

    event = event_get_for_worker(event_id=event_id)
    if event is None:
        return []
    url = reverse("catalog:event-detail", args=[event.public_id])
    return _match(
        event,
        Product.QUICK_REPORT,
        ref_id=event.pk,
        version=event.version,
        url=url,
        now=now or timezone.now(),
    )


def topic_report_match(
    *, report_id: int, event_id: int, now: dt.datetime | None = None
) -> list[SubscriptionNotice]:
    """A special-topic report was built: its quake's subscribers who chose it and may read it."""
    from catalog.selectors import event_get_for_worker
    from reports.selectors import topic_report_get

    event = event_get_for_worker(event_id=event_id)
    if event is None:
        return []

    def readable(subscription: Subscription) -> bool:
        try:
            topic_report_get(
                actor=actor_for(subscription.owner, subscription.bureau.code), report_id=report_id
            )
        except NotFound:
            return False
        return True

    url = reverse("reports:topic-detail", args=[report_id])
    return _match(
        event,
        Product.TOPIC_REPORT,
        ref_id=report_id,
        version=1,
        url=url,
        now=now or timezone.now(),
        readable=readable,
    )


# --- delivery -----------------------------------------------------------------------------------


def _enqueue(notice_id: int, *, at: dt.datetime | None = None, countdown: float = 0) -> None:
    from .tasks import deliver_notice_task

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


def notice_deliver(*, notice_id: int) -> list[SubscriptionDelivery]:
    """One try on every channel of the notice not yet sent and not out of tries. A failed try
    is retried after ``BACKOFF_SECONDS``; the last failure is told to the person in the app."""
    notice = selectors.notice_get_for_worker(notice_id=notice_id)
    if notice is None:
        return []
    done = {(row.channel, row.outcome) for row in notice.deliveries.all()}
    tries: list[SubscriptionDelivery] = []
    retry = False
    for channel in notice.subscription.channels:
        if (channel, SubscriptionDelivery.Outcome.SENT) in done:
            continue
        attempt = selectors.delivery_attempts(notice=notice, channel=channel) + 1
        if attempt > MAX_ATTEMPTS:
            continue
        error = ""
        try:
            _send(notice, channel)
        except Exception as exc:  # noqa: BLE001 - any sender failure is recorded, never lost
            error = str(exc)[:2000] or exc.__class__.__name__
        try:
            row = SubscriptionDelivery.objects.create(
                bureau=notice.bureau,
                notice=notice,
                channel=channel,
                attempt=attempt,
                outcome=SubscriptionDelivery.Outcome.FAILED if error else SubscriptionDelivery.Outcome.SENT,
                error=error,
            )
        except IntegrityError:
            continue  # a duplicate message tried the same attempt
        tries.append(row)
        if error and attempt < MAX_ATTEMPTS:
            retry = True
            delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]
        elif error and channel != Channel.IN_APP:
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
    if retry:
        _enqueue(notice.pk, countdown=delay)
    return tries


# --- the sweep: digests and held notices whose message was lost ------------------------------

#: A due notice with no try after this long lost its message (a worker restart, a broker's
#: redelivery window shorter than the quiet hours): the sweep sends it again.
LOST_AFTER = dt.timedelta(minutes=5)
SWEEP_HORIZON = dt.timedelta(days=2)


def _digest_send(subscription: Subscription, notices: list[SubscriptionNotice]) -> list[SubscriptionDelivery]:
    """One message per channel for the notices; a try row per notice and channel."""
    title = _("%(count)d messages of your subscription %(name)s") % {
        "count": len(notices),
        "name": subscription.name or f"#{subscription.pk}",
    }
    lines = [f"- {n.title} {_absolute(n.url)}" for n in notices]
    digest = SubscriptionNotice(
        bureau=subscription.bureau,
        subscription=subscription,
        title=title,
        body="\n".join(lines),
        url=reverse("subscriptions:list"),
    )
    rows: list[SubscriptionDelivery] = []
    for channel in subscription.channels:
        owed = [
            n
            for n in notices
            if not n.deliveries.filter(channel=channel, outcome=SubscriptionDelivery.Outcome.SENT).exists()
            and selectors.delivery_attempts(notice=n, channel=channel) < MAX_ATTEMPTS
        ]
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
                attempt=selectors.delivery_attempts(notice=notice, channel=channel) + 1,
                outcome=SubscriptionDelivery.Outcome.FAILED if error else SubscriptionDelivery.Outcome.SENT,
                error=error,
            )
            for notice in owed
        )
    return rows


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every few minutes (beat ``subscriptions.sweep``): send the due digests, one message per
    subscription and channel, and enqueue again a due notice that no try ever reached."""
    now = now or timezone.now()
    lost = selectors.notices_untried_for_worker(before=now - LOST_AFTER, since=now - SWEEP_HORIZON)
    for notice_id in lost:
        _enqueue(notice_id)
    digests = selectors.digest_notices_due_for_worker(before=now, since=now - SWEEP_HORIZON)
    sent = 0
    for subscription, notices in digests:
        sent += bool(_digest_send(subscription, notices))
    return {"requeued": len(lost), "digests": sent}
