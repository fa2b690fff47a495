"""An issued post-quake opinion tells the subscribers of "post-quake opinion" (the task
``postquake.announce_opinion`` on commit, ``subscriptions.services.notices.product_announce``): those
whose region holds the epicentre and who read the case (its own bureau); another province
never; an update is sent as an update of the first opinion."""

from __future__ import annotations

import pytest

from postquake.models import PostQuakeOpinion
from postquake.services import opinion_transition
from subscriptions.models import SubscriptionNotice

pytestmark = pytest.mark.django_db


def _subscribe(person):
    from portal.tenancy import actor_for
    from subscriptions.services.subscriptions import subscription_create

    body = {"region": {"bureau": "JX"}, "min_magnitude": 3.0, "products": ["postquake_opinion"]}
    return subscription_create(actor=actor_for(person), data=body)


def test_issuing_tells_subscribers_who_read_the_case(
    drafted_case, jx_chair, jx_viewer, nm_forecaster, django_capture_on_commit_callbacks
):
    from portal.tenancy import actor_for

    own = _subscribe(jx_viewer)
    other_province = _subscribe(nm_forecaster)  # JX's region, but NM never reads JX's case
    opinion = PostQuakeOpinion.objects.get(case=drafted_case, number=1)
    assert SubscriptionNotice.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        opinion_transition(actor=actor_for(jx_chair), opinion=opinion, action="issue")
    (notice,) = own.notices.all()
    assert (notice.product, notice.ref_id, notice.version, notice.kind) == (
        "postquake_opinion",
        drafted_case.pk,
        1,
        "new",
    )
    assert notice.url == drafted_case.get_absolute_url()
    assert notice.title.startswith("震后趋势判定意见：")
    assert notice.deliveries.get().outcome == "sent"
    assert other_province.notices.count() == 0

    # Issued again by a repeated task: still one notice.
    from postquake.services.announce import opinion_announce

    assert opinion_announce(opinion_id=opinion.pk) == []
    assert own.notices.count() == 1
