"""The master-data cast: two admins of JX (one proposes, the other decides), stations made
through the system's apply service as the demo makes them."""

from __future__ import annotations

import pytest


@pytest.fixture
def jx_admin2(make_person, jx):
    return make_person("jx_admin2", (jx, "bureau_admin"), display_name="赣管理员二")


@pytest.fixture
def make_station():
    from observations.services.changes import change_apply_as_system

    def make(bureau, code: str, *, lon: float = 115.9, lat: float = 28.7, kind: str = "well", **values):
        from observations.models import Station

        change = change_apply_as_system(
            bureau=bureau,
            target="station",
            action="create",
            values={"code": code, "name_zh": f"{code}台", "lon": lon, "lat": lat, "kind": kind, **values},
            reason="test",
        )
        return Station.objects.get(pk=change.object_id)

    return make


@pytest.fixture
def make_channel():
    from observations.services.changes import change_apply_as_system

    def make(station, item: str = "WL", **values):
        from observations.models import Channel

        change = change_apply_as_system(
            bureau=station.bureau,
            target="channel",
            action="create",
            values={"station": station.code, "item": item, **values},
            reason="test",
        )
        return Channel.objects.get(pk=change.object_id)

    return make
