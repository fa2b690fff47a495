"""The demo's post-quake case: its first opinion issued, an update proposed after an aftershock."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from postquake import demo
from postquake.models import OpinionKind, OpinionState, PostQuakeCase
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_the_demo_case_has_an_issued_first_opinion_and_a_proposed_update(jx, jx_chair):
    EventFactory(
        bureau=jx, magnitude=5.0, origin_time=timezone.now() - dt.timedelta(days=400), public_id="demo-main"
    )
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())  # idempotent
    case = PostQuakeCase.objects.get()
    opinions = [(o.number, o.kind, o.state) for o in case.opinions.order_by("number")]
    assert opinions == [
        (1, OpinionKind.FIRST, OpinionState.ISSUED),
        (2, OpinionKind.UPDATE, OpinionState.DRAFT),
    ]
    update = case.opinions.get(number=2)
    assert update.trigger.startswith("aftershock ")
    assert update.trigger.endswith(" M4.2")
    assert update.changes["aftershocks"] == {"from": 0, "to": 1}
    case.refresh_from_db()
    assert case.state == "opinion_issued"
