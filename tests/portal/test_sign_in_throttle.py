"""Sign-in limits count failures only (issue 9, item 8): people behind one gateway
address never lock each other out; guessing is still locked (per username and
address) and throttled (per address, token API)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GATEWAY = "10.20.30.40"
PEOPLE = 30  # three times the token API's per-address rate (10/min)


@pytest.fixture
def crowd(make_person, jx):
    return [make_person(f"staff{i:02d}", (jx, "viewer")) for i in range(PEOPLE)]


def test_many_people_sign_in_through_one_gateway_on_the_form(crowd):
    statuses = [
        Client(REMOTE_ADDR=GATEWAY)
        .post("/login/", {"username": u.username, "password": PASSWORD})
        .status_code
        for u in crowd
    ]
    assert statuses == [302] * PEOPLE


def test_many_people_get_tokens_through_one_gateway(crowd):
    client = APIClient(REMOTE_ADDR=GATEWAY)
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": u.username, "password": PASSWORD}, format="json"
        ).status_code
        for u in crowd
    ]
    assert statuses == [200] * PEOPLE


def test_one_persons_typos_do_not_lock_out_the_others_on_the_form(crowd):
    # given the first person locked out at the gateway address (3 failures in the test settings)
    client = Client(REMOTE_ADDR=GATEWAY)
    failures = [
        client.post("/login/", {"username": "staff00", "password": f"bad{i}"}).status_code for i in range(3)
    ]
    assert failures == [200, 200, 429]
    # then everyone else still signs in from the same address, and the locked one does not
    others = [
        Client(REMOTE_ADDR=GATEWAY)
        .post("/login/", {"username": u.username, "password": PASSWORD})
        .status_code
        for u in crowd[1:]
    ]
    assert others == [302] * (PEOPLE - 1)
    locked = Client(REMOTE_ADDR=GATEWAY).post("/login/", {"username": "staff00", "password": PASSWORD})
    assert locked.status_code == 429


def test_password_spraying_from_one_address_is_throttled_on_the_token_api(crowd):
    # given: one wrong password tried for eleven people (axes sees one failure each)
    client = APIClient(REMOTE_ADDR=GATEWAY)
    statuses = [
        client.post("/api/v1/auth/token/", {"username": u.username, "password": "guess"}, format="json")
        for u in crowd[:11]
    ]
    # then the eleventh failure in a minute is refused, with a message and when to retry
    assert [r.status_code for r in statuses] == [400] * 10 + [429]
    assert statuses[-1].json()["detail"]
    assert int(statuses[-1]["Retry-After"]) > 0
    # a forged X-Forwarded-For header is not a new address
    forged = client.post(
        "/api/v1/auth/token/",
        {"username": "staff20", "password": "guess"},
        format="json",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert forged.status_code == 429
    # another address is not affected
    elsewhere = APIClient(REMOTE_ADDR="10.99.0.1").post(
        "/api/v1/auth/token/", {"username": "staff29", "password": PASSWORD}, format="json"
    )
    assert elsewhere.status_code == 200


def test_successes_between_failures_do_not_count(crowd):
    client = APIClient(REMOTE_ADDR=GATEWAY)
    for u in crowd[:9]:  # nine failures: one short of the rate
        assert (
            client.post(
                "/api/v1/auth/token/", {"username": u.username, "password": "guess"}, format="json"
            ).status_code
            == 400
        )
    for u in crowd:  # thirty successes add nothing to the count
        assert (
            client.post(
                "/api/v1/auth/token/", {"username": u.username, "password": PASSWORD}, format="json"
            ).status_code
            == 200
        )
    last = client.post("/api/v1/auth/token/", {"username": "staff29", "password": "guess"}, format="json")
    assert last.status_code == 400
