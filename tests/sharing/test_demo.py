"""The demo: datasets at each level, an approved request, a pending overdue one escalated,
a push; a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from portal import demo as portal_demo
from portal.models import Bureau
from sharing import demo
from sharing.models import DataRequest, Dataset, Push
from tests.observations.factories import ChannelFactory, StationFactory

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_part_of_sharing_once():
    # given the bureaus, the demo people and three JX stations with a channel each
    portal_demo.load_disciplines()
    portal_demo.load_bureaus()
    portal_demo.load_demo_people()
    jx = Bureau.objects.get(code="JX")
    for code in ("JX-XS", "JX-YC", "JX-HC", "JX-JJ"):
        ChannelFactory(station=StationFactory(bureau=jx, code=code))
    # when
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())
    # then
    levels = dict(Dataset.objects.filter(bureau=jx).values_list("key", "level"))
    assert levels["station:JX-JJ"] == "not_shared"
    assert levels["station:JX-XS"] == "on_request"
    approved = DataRequest.objects.get(dataset__key="station:JX-XS")
    assert (approved.state, approved.requester_bureau.code) == ("approved", "NM")
    assert approved.grant.expires_at > timezone.now()
    overdue = DataRequest.objects.get(dataset__key="station:JX-YC")
    assert overdue.state == "pending"
    assert overdue.due_at < timezone.now()
    assert overdue.escalated_at is not None
    push = Push.objects.get()
    assert sorted(g.grantee.code for g in push.grants.all()) == ["FJ", "GD", "NM"]
    assert DataRequest.objects.count() == 2
