"""Reads of subscriptions: a person reads only their own; workers read by id or by place."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.gis.geos import Point
from django.db.models import Count, F, Func, IntegerField, Q

from catalog.models import Event
from portal.exceptions import NotFound
from portal.models import AuditEvent, Bureau
from portal.tenancy import system_read

from .matching import Quake
from .models import Subscription, SubscriptionDelivery, SubscriptionNotice

if TYPE_CHECKING:
    from django.contrib.gis.geos import MultiPolygon
    from django.db.models import QuerySet

    from portal.tenancy import Actor


def subscription_list(*, actor: Actor | None) -> QuerySet[Subscription]:
    """The subscriptions ``actor``'s person made (any other person's are never listed)."""
    if actor is None:
        return Subscription.objects.none()
    return Subscription.objects.visible_to(actor).filter(owner=actor.user)


def subscription_get(*, actor: Actor | None, subscription_id: int) -> Subscription:
    """One of the person's own subscriptions; NotFound for missing and another's alike."""
    try:
        return subscription_list(actor=actor).get(pk=subscription_id)
    except Subscription.DoesNotExist:
        raise NotFound from None


def notice_list(*, actor: Actor | None) -> QuerySet[SubscriptionNotice]:
    """The messages decided for the person's subscriptions, newest first, with their tries."""
    if actor is None:
        return SubscriptionNotice.objects.none()
    return (
        SubscriptionNotice.objects.visible_to(actor)
        .filter(subscription__owner=actor.user)
        .select_related("subscription")
        .prefetch_related("deliveries")
    )


def subscription_history(*, actor: Actor | None) -> QuerySet[AuditEvent]:
    """What the person did to their own subscriptions (made, changed, deleted), newest first;
    a deleted subscription's rows stay."""
    if actor is None or not actor.user.pk:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(
        actor=actor.user, target_type=Subscription._meta.label_lower
    ).select_related("actor")


@system_read("the active subscriptions the matching workers below start from (no person acts)")
def _active(product: str | None) -> QuerySet[Subscription]:
    rows = Subscription.objects.filter(is_active=True).select_related("owner", "bureau")
    # jsonb containment (@>): the subscriptions whose product list holds this product
    return rows.filter(products__contains=[product]) if product else rows


@system_read("the arrival worker matching one event it holds against every active subscription")
def subscriptions_containing_for_worker(
    *, longitude: float, latitude: float, in_china: bool = True, product: str | None = None
) -> QuerySet[Subscription]:
    """Active subscriptions (of ``product``, when given) whose region holds the point; those of
    all of China (no region) only when the point is in China (``in_china``)."""
    point = Point(longitude, latitude, srid=4326)
    holds = Q(region__contains=point)
    if in_china:
        holds |= Q(region__isnull=True)
    return _active(product).filter(holds)


@system_read("a worker announcing one bureau's product to every active subscription over its area")
def subscriptions_over_area_for_worker(*, area: MultiPolygon | None, product: str) -> QuerySet[Subscription]:
    """Active subscriptions of ``product`` whose region meets ``area`` (a bureau's jurisdiction)
    and those of all of China; without an area (a bureau with no jurisdiction) those of all
    of China only."""
    holds = Q(region__isnull=True)
    if area is not None:
        holds |= Q(region__intersects=area)
    return _active(product).filter(holds)


@system_read("a worker holding a bureau id (bureaus are reference data, not a tenant's rows)")
def bureau_for_worker(*, bureau_id: int) -> Bureau | None:
    return Bureau.objects.filter(pk=bureau_id).first()


@system_read("a worker holding a subscription id")
def subscription_get_for_worker(*, subscription_id: int) -> Subscription | None:
    return Subscription.objects.select_related("owner", "bureau").filter(pk=subscription_id).first()


@system_read("a worker holding a notice id")
def notice_get_for_worker(*, notice_id: int) -> SubscriptionNotice | None:
    return (
        SubscriptionNotice.objects.select_related("subscription", "subscription__owner", "bureau")
        .filter(pk=notice_id)
        .first()
    )


@system_read("the notices of a subscription the worker holds")
def sent_before(*, subscription: Subscription, product: str, ref_id: int) -> bool:
    """Whether a notice of this thing was already decided for the subscription (any version)."""
    return SubscriptionNotice.objects.filter(
        subscription=subscription, product=product, ref_id=ref_id
    ).exists()


@system_read("the tries of a notice the worker holds")
def delivery_attempts(*, notice: SubscriptionNotice, channel: str) -> int:
    return SubscriptionDelivery.objects.filter(notice=notice, channel=channel).count()


@system_read("candidate mainshocks near an event the worker holds: the catalog as a whole")
def mainshock_candidates_for_worker(*, event: Event, min_magnitude: float, days: int) -> list[Quake]:
    """Events of M ≥ ``min_magnitude`` in the ``days`` before ``event`` (not itself)."""
    rows = (
        Event.objects.filter(
            magnitude__gte=min_magnitude,
            origin_time__gte=event.origin_time - dt.timedelta(days=days),
            origin_time__lte=event.origin_time,
        )
        .exclude(pk=event.pk)
        .values_list("pk", "origin_time", "longitude", "latitude", "magnitude")
    )
    return [Quake(pk, t, lon, lat, m or 0.0) for pk, t, lon, lat, m in rows]


@system_read("the sweep over every subscription's due notices (a beat job, no person acts)")
def notices_owed_for_worker(*, before: dt.datetime, since: dt.datetime) -> QuerySet[SubscriptionNotice]:
    """Single (not digest) notices of active subscriptions due between ``since`` and ``before``
    not yet sent on every channel, with their tries (the caller tells which are still owed)."""
    return (
        SubscriptionNotice.objects.filter(
            deliver_at__lte=before, deliver_at__gte=since, subscription__is_active=True
        )
        .exclude(decision=SubscriptionNotice.Decision.DIGEST)
        .annotate(
            sent=Count("deliveries", filter=Q(deliveries__outcome=SubscriptionDelivery.Outcome.SENT)),
            channel_count=Func(
                F("subscription__channels"), function="jsonb_array_length", output_field=IntegerField()
            ),
        )
        .filter(sent__lt=F("channel_count"))
        .select_related("subscription")
        .prefetch_related("deliveries")
    )


@system_read("the sweep over every subscription's due digest notices (a beat job, no person acts)")
def digest_notices_due_for_worker(
    *, before: dt.datetime, since: dt.datetime
) -> list[tuple[Subscription, list[SubscriptionNotice]]]:
    """Due digest notices not yet sent on every channel, grouped by subscription, oldest first."""
    rows = (
        SubscriptionNotice.objects.filter(
            decision=SubscriptionNotice.Decision.DIGEST,
            deliver_at__lte=before,
            deliver_at__gte=since,
            subscription__is_active=True,
        )
        .exclude(deliveries__outcome=SubscriptionDelivery.Outcome.SENT)
        .select_related("subscription", "subscription__owner", "subscription__bureau")
        .order_by("subscription_id", "deliver_at", "pk")
    )
    grouped: dict[int, tuple[Subscription, list[SubscriptionNotice]]] = {}
    for notice in rows:
        grouped.setdefault(notice.subscription_id, (notice.subscription, []))[1].append(notice)
    return list(grouped.values())
