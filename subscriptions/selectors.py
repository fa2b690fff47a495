"""Reads of subscriptions: a person reads only their own; workers read by id or by place."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.gis.geos import Point
from django.db.models import Q

from catalog.models import Event
from portal.exceptions import NotFound
from portal.tenancy import system_read

from .matching import Quake
from .models import Subscription, SubscriptionDelivery, SubscriptionNotice

if TYPE_CHECKING:
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


@system_read("the arrival worker matching one event it holds against every active subscription")
def subscriptions_containing_for_worker(*, longitude: float, latitude: float) -> QuerySet[Subscription]:
    """Active subscriptions whose region holds the point (no region: all of China)."""
    point = Point(longitude, latitude, srid=4326)
    return (
        Subscription.objects.filter(is_active=True)
        .filter(Q(region__isnull=True) | Q(region__contains=point))
        .select_related("owner", "bureau")
    )


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
def notices_untried_for_worker(*, before: dt.datetime, since: dt.datetime) -> list[int]:
    """Ids of single (not digest) notices due before ``before`` that no try ever reached."""
    return list(
        SubscriptionNotice.objects.filter(
            deliver_at__lte=before, deliver_at__gte=since, deliveries__isnull=True
        )
        .exclude(decision=SubscriptionNotice.Decision.DIGEST)
        .values_list("pk", flat=True)
    )


@system_read("the sweep over every subscription's due digest notices (a beat job, no person acts)")
def digest_notices_due_for_worker(
    *, before: dt.datetime, since: dt.datetime
) -> list[tuple[Subscription, list[SubscriptionNotice]]]:
    """Due digest notices not yet sent on every channel, grouped by subscription, oldest first."""
    rows = (
        SubscriptionNotice.objects.filter(
            decision=SubscriptionNotice.Decision.DIGEST, deliver_at__lte=before, deliver_at__gte=since
        )
        .exclude(deliveries__outcome=SubscriptionDelivery.Outcome.SENT)
        .select_related("subscription", "subscription__owner", "subscription__bureau")
        .order_by("subscription_id", "deliver_at", "pk")
    )
    grouped: dict[int, tuple[Subscription, list[SubscriptionNotice]]] = {}
    for notice in rows:
        grouped.setdefault(notice.subscription_id, (notice.subscription, []))[1].append(notice)
    return list(grouped.values())
