"""Who may rebuild reports, retry pushes, manage layers and settings: the role matrix, and
what anonymous people and people without a role get from every page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.models import TopicReport
from reports.permissions import can_manage_gis_layers, can_manage_topic_settings, can_rebuild_topic_report

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "rebuild", "layers", "settings"),
    [
        ("bureau_admin", True, True, True),
        ("forecaster", True, True, False),
        ("chair", True, False, False),
        ("reporter", False, False, False),
        ("expert", False, False, False),
        ("approver", False, False, False),
        ("viewer", False, False, False),
    ],
)
def test_role_matrix(make_person, as_actor, jx, nm, role, rebuild, layers, settings):
    person = make_person(f"p_{role}", (jx, role))
    actor = as_actor(person)
    own = TopicReport(bureau=jx)
    other = TopicReport(bureau=nm)
    assert can_rebuild_topic_report(actor, own) is rebuild
    assert can_rebuild_topic_report(actor, other) is False
    assert can_manage_gis_layers(actor) is layers
    assert can_manage_topic_settings(actor) is settings


PAGES = [
    ("reports:topic-list", []),
    ("reports:topic-settings", []),
    ("reports:topic-detail", [1]),
    ("reports:topic-html", [1]),
    ("reports:topic-pdf", [1]),
    ("reports:topic-map", [1, "epicentre"]),
    ("reports:layer-list", []),
    ("reports:layer-detail", [1]),
    ("reports:layer-geojson", [1]),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_is_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_person_without_a_role_may_not_open_any_page(client, outsider, name, args):
    # given
    client.force_login(outsider)
    # when
    response = client.get(reverse(name, args=args))
    # then: refused before any lookup, so even an id that exists nowhere gives 403
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path", ["/api/v1/gis-layers/", "/api/v1/topic-reports/", "/api/v1/topic-reports/1/"]
)
def test_api_refuses_anonymous_and_roleless(api, outsider, path):
    assert api().get(path).status_code == 401
    assert api(outsider).get(path).status_code == 403
