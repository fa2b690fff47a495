"""Shared builders of the post-quake tests: a mainshock with its case drafted (opinion No. 1
proposed)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from postquake.services import case_open, draft_build
from tests.factories import EventFactory


@pytest.fixture
def mainshock(jx):
    """An M6.0 in JX ten minutes ago (sequence zone: the 10 km floor)."""
    return EventFactory(
        bureau=jx,
        magnitude=6.0,
        origin_time=timezone.now() - dt.timedelta(minutes=10),
        public_id="pq-main",
        latitude=28.0,
        longitude=115.0,
    )


@pytest.fixture
def drafted_case(jx, mainshock):
    """The JX case on the mainshock, its first draft in (opinion No. 1 proposed)."""
    case = case_open(event_id=mainshock.pk, bureau_id=jx.pk)
    return draft_build(case_id=case.pk)


def aftershock(jx, mainshock, *, magnitude, minutes=5, km_north=2.0, public_id=None):
    """An event ``minutes`` after the mainshock, ``km_north`` km north of it."""
    return EventFactory(
        bureau=jx,
        magnitude=magnitude,
        origin_time=mainshock.origin_time + dt.timedelta(minutes=minutes),
        latitude=mainshock.latitude + km_north / 111.2,
        longitude=mainshock.longitude,
        **({"public_id": public_id} if public_id else {}),
    )
