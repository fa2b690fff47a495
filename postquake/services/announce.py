"""Telling subscribers of an issued post-quake opinion (the ``postquake_opinion`` product)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from postquake.selectors import case_get, opinion_get_for_worker
from subscriptions.models import Product
from subscriptions.services.notices import product_announce

if TYPE_CHECKING:
    from portal.tenancy import Actor
    from subscriptions.models import SubscriptionNotice


def opinion_announce(*, opinion_id: int) -> list[SubscriptionNotice]:
    """Notices for the subscribers of "post-quake opinion" whose region holds the epicentre
    and who may read the case (its bureau's people; tenancy decides). ``ref_id`` is the
    case, ``version`` the opinion's number, so an update reaches them as an update of the
    first opinion. Run by the task ``postquake.announce_opinion``; idempotent."""
    opinion = opinion_get_for_worker(opinion_id=opinion_id)
    if opinion is None or opinion.issued_at is None:
        return []
    case = opinion.case
    event, bureau = case.event, opinion.bureau
    kind_zh = "震后趋势判定意见" if opinion.number == 1 else f"震后趋势判定更新（第 {opinion.number} 次）"
    kind_en = (
        "Post-quake trend opinion"
        if opinion.number == 1
        else f"Post-quake opinion update No. {opinion.number}"
    )
    titles = (
        f"{kind_zh}：{event.location_name} M{event.magnitude}（{bureau.name_zh}）",
        f"{kind_en}: {event.location_name} M{event.magnitude} ({bureau.name_en})",
    )

    def may_read(actor: Actor) -> bool:
        case_get(actor=actor, case_id=case.pk)
        return True

    return product_announce(
        product=Product.POSTQUAKE_OPINION,
        ref_id=case.pk,
        version=opinion.number,
        bureau_id=bureau.pk,
        event_id=event.pk,
        titles=titles,
        url=case.get_absolute_url(),
        may_read=may_read,
    )
