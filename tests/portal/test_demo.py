"""seed_demo: real bureaus with real jurisdictions, the disciplines, every role; safe twice."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from portal import demo
from portal.models import Bureau, Membership, Role, User

pytestmark = pytest.mark.django_db


def _seed():
    demo.load_disciplines()
    demo.load_bureaus()
    demo.load_demo_people()


def test_seed_twice_gives_the_same_rows():
    _seed()
    counts = (Bureau.objects.count(), User.objects.count(), Membership.objects.count())
    _seed()
    assert (Bureau.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert Bureau.objects.filter(kind="provincial").count() == 31
    assert set(Bureau.objects.exclude(kind="provincial").values_list("code", flat=True)) == {
        "CENC",
        "IGP",
        "SMC",
    }


@pytest.mark.parametrize(
    ("code", "name", "lon", "lat"),
    [
        ("JX", "江西省地震局", 115.86, 28.68),  # Nanchang
        ("NM", "内蒙古自治区地震局", 111.75, 40.84),  # Hohhot
        ("XJ", "新疆维吾尔自治区地震局", 87.62, 43.83),  # Urumqi
        ("SC", "四川省地震局", 104.07, 30.67),  # Chengdu
        ("CENC", "中国地震台网中心", 116.40, 39.90),  # Beijing
    ],
)
def test_jurisdictions_hold_their_capitals(code, name, lon, lat):
    _seed()
    bureau = Bureau.objects.get(code=code)
    assert bureau.name_zh == name
    assert bureau.jurisdiction.contains(Point(lon, lat, srid=4326))


def test_every_role_in_two_provinces_and_cenc():
    _seed()
    for code in ("JX", "NM", "CENC"):
        held = set(Membership.objects.filter(bureau__code=code).values_list("role", flat=True))
        assert held == set(Role.values), code
    experts = set(
        Membership.objects.filter(bureau__code="JX", role="expert").values_list("discipline__code", flat=True)
    )
    assert experts == {"seismology", "deformation", "fluid", "electromagnetism"}
    assert User.objects.get(username="admin").is_superuser


def test_demo_tokens_are_made_once():
    _seed()
    assert demo.load_demo_tokens() == 2
    assert demo.load_demo_tokens() == 0
    from portal.models import ApiToken, ApiTokenUse

    assert sorted(t.standing for t in ApiToken.objects.all()) == ["active", "revoked"]
    assert ApiTokenUse.objects.count() == 6


def test_a_changed_demo_password_survives_a_second_seed():
    _seed()
    user = User.objects.get(username="jx_admin")
    user.set_password("changed-by-the-user-1")
    user.save()
    _seed()
    user.refresh_from_db()
    assert user.check_password("changed-by-the-user-1")
