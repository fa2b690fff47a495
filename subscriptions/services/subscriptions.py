"""A person's own subscriptions: the API's fields checked and turned into the model's values
(``parse_region``: a GeoJSON polygon, a circle or a bureau's jurisdiction becomes the stored
polygon), and ``subscription_create`` / ``subscription_update`` / ``subscription_delete``, each
audited (``subscription.create`` / ``.update`` / ``.delete``, shown on the person's page).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.geo import parse_area
from portal.links import check_link
from portal.selectors import bureau_by_code, portal_disciplines
from portal.services import audit_record
from portal.workflow import register_labels
from subscriptions import selectors
from subscriptions.models import ANOMALIES_PREFIX, Channel, Product, Subscription

if TYPE_CHECKING:
    from portal.tenancy import Actor

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
