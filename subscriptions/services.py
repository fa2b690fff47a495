"""Writes of subscriptions: a person's own subscriptions, the notices matched for them and
every try to deliver one.

* ``subscription_create`` / ``subscription_update`` / ``subscription_delete``: the person's own
  (``parse_region`` turns a GeoJSON polygon, a circle or a bureau into the stored polygon), each
  audited (``subscription.create`` / ``.update`` / ``.delete``, shown on the person's page).
* ``event_match``: an event arrived (or a new version of it), whether it concerns a bureau or
  none: one notice per subscription that hears of it (``matching.decide``), queued for delivery
  now or at the end of the quiet hours; a new version of one already told is an update.
* ``topic_report_match``: a special-topic report was built; the subscribers of its quake who
  chose the product and may read the report hear of it.
* ``product_announce``: the one entry for the products of the apps above (a monthly trend report
  issued, a post-quake opinion): by the quake's epicentre or the bureau's jurisdiction, for the
  owners who may read it.
* ``anomaly_match``: an anomaly reported, verified or assessed, for the subscribers of its
  discipline's anomalies who may read it, by its place.
* ``notice_deliver``: one try per channel owed and due, with the notice claimed (a row lock,
  ``SKIP LOCKED``) so that two workers never send it twice; a failure is recorded, retried with
  backoff, and after the last try told to the person in the app (never silent).
* ``sweep``: the hour's digests, and the notices whose message (first or retry) was lost.
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
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from catalog.selectors import event_get_by_pk, event_get_for_worker
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.geo import china_outline, parse_area
from portal.links import check_link
from portal.selectors import audit_for, bureau_by_code, portal_disciplines
from portal.services import audit_record, notify_user
from portal.tenancy import actor_for, bureau_reader
from portal.workflow import register_labels

from . import matching, selectors
from .models import ANOMALIES_PREFIX, Channel, Product, Subscription, SubscriptionDelivery, SubscriptionNotice

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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

register_labels(
    {
        "subscription.create": gettext_lazy("subscription made"),
        "subscription.update": gettext_lazy("subscription changed"),
        "subscription.delete": gettext_lazy("subscription deleted"),
    }
)


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit row keeps of the fields set: names, and the small values (a drawn region
    is kept as its kind, a webhook as whether one is set: an address can carry a token)."""
    kept: dict[str, Any] = {}
    for name, value in values.items():
        if name == "region":
            continue
        if name == "wechat_webhook_url":
            kept[name] = bool(value)
        elif isinstance(value, dt.time):
            kept[name] = value.strftime("%H:%M")
        else:
            kept[name] = value
    return kept


@transaction.atomic
def subscription_create(*, actor: Actor, data: dict[str, Any]) -> Subscription:
    if actor.bureau is None:
        raise PermissionDenied(_("Choose the bureau you act for to subscribe."))
    values = _clean(data, None)
    subscription = Subscription.objects.create(bureau=actor.bureau, owner=actor.user, **values)
    audit_record(
        actor=actor,
        action="subscription.create",
        target=subscription,
        comment=str(subscription),
        extra=_audit_values(values),
    )
    return subscription


@transaction.atomic
def subscription_update(*, actor: Actor, subscription: Subscription, data: dict[str, Any]) -> Subscription:
    values = _clean(data, subscription)
    row = selectors.subscription_list(actor=actor).select_for_update().get(pk=subscription.pk)
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    row.save()
    if changed:
        audit_record(
            actor=actor,
            action="subscription.update",
            target=row,
            comment=str(row),
            extra={"fields": sorted(changed), **_audit_values(changed)},
        )
    return row


@transaction.atomic
def subscription_delete(*, actor: Actor, subscription: Subscription) -> None:
    row = selectors.subscription_list(actor=actor).select_for_update().filter(pk=subscription.pk).first()
    if row is None:
        raise NotFound
    audit_record(actor=actor, action="subscription.delete", target=row, comment=str(row))
    row.delete()


# --- matching ---------------------------------------------------------------------------------

#: "All of China" holds a quake whose epicentre lies within this distance of China's shipped
#: outline (``portal.geo.china_outline``, land only): its coastal seas (Bohai, the Taiwan
#: Strait, off Taiwan's east coast) and quakes just across a border, felt in China. Ours.
CHINA_MARGIN_KM = 100.0


def in_china(longitude: float, latitude: float) -> bool:
    """Whether an epicentre belongs to "all of China": within ``CHINA_MARGIN_KM`` of the
    outline (the circle of that radius, on the sphere, meets it)."""
    return china_outline().prepared.intersects(circle_polygon(longitude, latitude, CHINA_MARGIN_KM))


def _rule(subscription: Subscription) -> matching.Rule:
    return matching.Rule(
        min_magnitude=subscription.min_magnitude,
        min_magnitude_night=subscription.min_magnitude_night,
        quiet_start=subscription.quiet_start,
        quiet_end=subscription.quiet_end,
        digest=subscription.digest,
        suppress_aftershocks=subscription.suppress_aftershocks,
    )


def _owner(subscription: Subscription) -> Actor | None:
    """The owner as they act in the subscription's bureau (None: no longer a member there)."""
    return actor_for(subscription.owner, subscription.bureau.code)


def _owner_reads(subscription: Subscription, event_id: int) -> bool:
    actor = _owner(subscription)
    if actor is None:
        return False
    try:
        event_get_by_pk(actor=actor, event_id=event_id)
    except NotFound:
        return False
    return True


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
    event: Event | None,
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


def _at_epicentre(event: Event, product: str) -> Any:
    return selectors.subscriptions_containing_for_worker(
        longitude=event.longitude,
        latitude=event.latitude,
        in_china=in_china(event.longitude, event.latitude),
        product=product,
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
    for subscription in _at_epicentre(event, product):
        if not _owner_reads(subscription, event.pk):
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
    from reports.selectors import topic_report_get

    event = event_get_for_worker(event_id=event_id)
    if event is None:
        return []

    def readable(subscription: Subscription) -> bool:
        try:
            topic_report_get(actor=_owner(subscription), report_id=report_id)
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


def _may(may_read: Callable[[Actor], bool], actor: Actor | None) -> bool:
    if actor is None:
        return False
    try:
        return bool(may_read(actor))
    except (NotFound, PermissionDenied):
        return False


def _announce(
    candidates: Iterable[Subscription],
    *,
    product: str,
    ref_id: int,
    version: int,
    title: str,
    body: str,
    url: str,
    may_read: Callable[[Actor], bool],
    now: dt.datetime,
    event: Event | None = None,
) -> list[SubscriptionNotice]:
    """One notice per candidate whose owner may read the thing: new, or an update of a thing
    already told; a product about a quake passes that quake's day or night threshold when new."""
    quake = _quake(event) if event is not None and event.magnitude is not None else None
    made = []
    for subscription in candidates:
        if not _may(may_read, _owner(subscription)):
            continue
        rule = _rule(subscription)
        before = selectors.sent_before(subscription=subscription, product=product, ref_id=ref_id)
        if not before and quake is not None and matching.below_threshold(rule, quake):
            continue
        decision = matching.schedule(
            rule, now=now, kind=SubscriptionNotice.Kind.UPDATE if before else SubscriptionNotice.Kind.NEW
        )
        shown = _("Update: %(title)s") % {"title": title} if before else title
        notice = _notice(
            subscription,
            decision,
            product=product,
            event=event,
            ref_id=ref_id,
            version=version,
            title=shown,
            body=body,
            url=url,
        )
        if notice is not None:
            made.append(notice)
    return made


def _known_product(product: str) -> None:
    disciplines = {d.code for d in portal_disciplines()}
    if product not in Product.values and not (
        product.startswith(ANOMALIES_PREFIX) and product.removeprefix(ANOMALIES_PREFIX) in disciplines
    ):
        raise ValueError(f"unknown subscription product {product!r}")


def product_announce(
    *,
    product: str,
    ref_id: int,
    version: int,
    bureau_id: int,
    titles: tuple[str, str],
    url: str,
    event_id: int | None = None,
    may_read: Callable[[Actor], bool],
    now: dt.datetime | None = None,
) -> list[SubscriptionNotice]:
    """A product of an app above (a monthly trend report issued, a post-quake opinion) for the
    subscribers who chose it: one notice per subscription, thing (``ref_id``) and ``version``,
    an update when an earlier version was told, queued for delivery (on commit).

    Who hears: the active subscriptions of ``product`` whose region holds the epicentre of
    ``event_id`` when one is given (else whose region meets the jurisdiction of ``bureau_id``;
    all of China always does), and whose owner ``may_read`` the thing (called with the owner's
    ``Actor`` in the subscription's bureau; a ``NotFound`` counts as no). ``titles`` is
    (Chinese, English); the message speaks the portal's language. Idempotent: announcing the
    same version again makes nothing.
    """
    _known_product(product)
    now = now or timezone.now()
    english = (get_language() or "").startswith("en")
    title = titles[1] if english else titles[0]
    event: Event | None = None
    body = ""
    if event_id is not None:
        event = event_get_for_worker(event_id=event_id)
        if event is None:
            return []
        candidates = _at_epicentre(event, product)
        body = _event_text(event, SubscriptionNotice.Kind.NEW)[0]
    else:
        bureau = selectors.bureau_for_worker(bureau_id=bureau_id)
        if bureau is None:
            return []
        area = MultiPolygon(*bureau.jurisdiction, srid=4326) if bureau.jurisdiction is not None else None
        candidates = selectors.subscriptions_over_area_for_worker(area=area, product=product)
    return _announce(
        candidates,
        product=product,
        ref_id=ref_id,
        version=version,
        title=title,
        body=body,
        url=url,
        may_read=may_read,
        now=now,
        event=event,
    )


#: The anomaly's moves its subscribers hear of, and the audit actions that count its versions.
ANOMALY_MOVES = {
    "report": "anomaly.report",
    "submit_verification": "anomaly.submit_verification",
    "assess": "anomaly.assess",
}


def anomaly_match(
    *, anomaly_id: int, bureau_id: int, action: str, now: dt.datetime | None = None
) -> list[SubscriptionNotice]:
    """An anomaly was reported, its verification submitted, or the discipline group assessed it
    (``anomaly.moved``): the subscribers of its discipline's anomalies who may read it (its
    bureau's people from the report on; national units once it is assessed, as
    ``Anomaly.PUBLISHED_Q`` says; another province never) and whose region holds its place
    (or meets its bureau's jurisdiction when it has none). Each move told is a version of the
    anomaly: its first told is new to a subscriber, the later ones updates."""
    from disciplines.selectors import anomaly_get, anomaly_verification

    if action not in ANOMALY_MOVES:
        return []
    bureau = selectors.bureau_for_worker(bureau_id=bureau_id)
    if bureau is None:
        return []
    try:
        anomaly = anomaly_get(actor=bureau_reader(bureau), anomaly_id=anomaly_id)
    except NotFound:
        return []
    product = f"{ANOMALIES_PREFIX}{anomaly.discipline.code}"
    version = (
        audit_for(target_type=anomaly._meta.label_lower, target_id=anomaly.pk)
        .filter(action__in=ANOMALY_MOVES.values())
        .count()
        or 1
    )
    language = get_language()
    values = {
        "discipline": anomaly.discipline.display_name(language),
        "place": anomaly.place,
        "item": anomaly.observation_item,
        "bureau": bureau.display_name(language),
    }
    if action == "submit_verification":
        report = anomaly_verification(anomaly=anomaly)
        values["conclusion"] = report.get_conclusion_display() if report and report.conclusion else "—"
        title = _("Anomaly verified (%(conclusion)s): %(discipline)s, %(place)s · %(item)s") % values
    elif action == "assess":
        title = _("Anomaly assessed by the discipline group: %(discipline)s, %(place)s · %(item)s") % values
    else:
        title = _("New anomaly: %(discipline)s, %(place)s · %(item)s") % values
    body = _("%(bureau)s; onset %(onset)s (Beijing).") % {
        **values,
        "onset": timezone.localtime(anomaly.onset_at, matching.BEIJING).strftime("%Y-%m-%d %H:%M"),
    }
    if anomaly.location is not None:
        candidates = selectors.subscriptions_containing_for_worker(
            longitude=anomaly.location.x,
            latitude=anomaly.location.y,
            in_china=in_china(anomaly.location.x, anomaly.location.y),
            product=product,
        )
    else:
        area = MultiPolygon(*bureau.jurisdiction, srid=4326) if bureau.jurisdiction is not None else None
        candidates = selectors.subscriptions_over_area_for_worker(area=area, product=product)

    def may_read(actor: Actor) -> bool:
        anomaly_get(actor=actor, anomaly_id=anomaly_id)
        return True

    return _announce(
        candidates,
        product=product,
        ref_id=anomaly.pk,
        version=version,
        title=title,
        body=body,
        url=reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
        may_read=may_read,
        now=now or timezone.now(),
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
                _enqueue(notice.pk, countdown=max(0.0, (min(dues) - timezone.now()).total_seconds()))
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
        _enqueue(notice_id)
    digests = selectors.digest_notices_due_for_worker(before=now, since=now - SWEEP_HORIZON)
    sent = 0
    for subscription, notices in digests:
        sent += bool(_digest_send(subscription, [n.pk for n in notices]))
    return {"requeued": len(lost), "digests": sent}
