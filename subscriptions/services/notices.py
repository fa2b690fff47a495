"""What a subscription hears of: one ``SubscriptionNotice`` per subscription, thing and
version, queued for delivery (``delivery.notice_enqueue``) now or at the end of the quiet
hours, or held for the hour's digest.

* ``event_match``: an event arrived (or a new version of it), whether it concerns a bureau or
  none: one notice per subscription that hears of it (``matching.decide``); a new version of
  one already told is an update.
* ``topic_report_match``: a special-topic report was built; the subscribers of its quake who
  chose the product and may read the report hear of it.
* ``product_announce``: the one entry for the products of the apps above (a monthly trend report
  issued, a post-quake opinion): by the quake's epicentre or the bureau's jurisdiction, for the
  owners who may read it.
* ``anomaly_match``: an anomaly reported, verified or assessed, for the subscribers of its
  discipline's anomalies who may read it, by its place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import MultiPolygon
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from catalog.selectors import event_get_by_pk, event_get_for_worker
from portal.exceptions import NotFound, PermissionDenied
from portal.geo import china_outline
from portal.selectors import audit_for, portal_disciplines
from portal.tenancy import actor_for, bureau_reader
from subscriptions import matching, selectors
from subscriptions.models import ANOMALIES_PREFIX, Product, Subscription, SubscriptionNotice

from . import delivery
from .subscriptions import circle_polygon

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable

    from catalog.models import Event
    from portal.tenancy import Actor


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
        delivery.notice_enqueue(notice_id=notice.pk, at=decision.deliver_at)
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
