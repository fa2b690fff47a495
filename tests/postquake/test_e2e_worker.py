"""A simulated M6 sequence, end to end: quick-report SMS posted over HTTP to a live server,
the arrival decided and the case opened and drafted by a real Celery worker, on PostGIS and Redis.

The mainshock's SMS (the provincial network's format, to the minute) is posted first, then
four aftershocks of the minutes after it (to the second, 2 min 15 s apart: further apart than
the 90 s in which a quick report is a version of an earlier event, and within the 10 km
sequence zone of an M6). JX's alert rule asks for a post-quake case from M5.0 (the issue's
default threshold), so the mainshock opens one and the aftershocks (M3.2 to 4.6) do not.

While the SMS arrive the worker is held (its consumer of the queue cancelled, then added
back), as a worker busy with the first minutes of a sequence is: every SMS is stored by the
request that posts it, and the worker finds the arrivals queued, so the first draft sees the
aftershocks whatever the machine's load (without the hold, whether the draft runs before or
after them is a race the test cannot pin).

Not checked here: that later evaluations follow the aftershocks. The draft is computed when the
case opens (and again for a new version of the mainshock), not as aftershocks arrive; once the
re-evaluation after M >= 4.0 aftershocks exists, post more aftershocks after the first draft and
wait with ``Sequence.case_when`` for the draft's sequence count to include them.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from contextlib import contextmanager
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.db import connection
from rest_framework.authtoken.models import Token

from catalog.models import AlertRule, Event, QuickReportMessage
from postquake import science
from postquake.models import PostQuakeCase

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

BEIJING = dt.timezone(dt.timedelta(hours=8))
#: The issue: the first draft within 5 minutes of the quick report.
DRAFT_WITHIN = dt.timedelta(minutes=5)
#: (seconds after the mainshock, magnitude, latitude, longitude): within 4 km of the epicentre.
AFTERSHOCKS = [
    (135, 4.6, 28.13, 115.03),
    (270, 3.8, 28.09, 114.99),
    (405, 3.2, 28.12, 115.00),
    (540, 4.1, 28.10, 115.04),
]


@pytest.fixture(autouse=True)
def _server_idle_before_flush():
    """After the test, wait until the worker's and the server's work on the test database has
    ended: flushing the tables under a reaction still writing deadlocks."""
    yield
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state NOT IN ('idle')"
            )
            (busy,) = cursor.fetchone()
        if not busy:
            return
        time.sleep(0.2)


def mainshock_sms(origin: dt.datetime) -> str:
    """DOMAIN.md's provincial format (time to the minute, Beijing time)."""
    return (
        f"【江西省地震局】江西省地震台网正式测定:{origin.astimezone(BEIJING):%Y年%m月%d日%H时%M分}在江西宜春市"
        "上高县(北纬28.11度,东经115.01度)发生6.0级地震,震源深度10千米。"
    )


def aftershock_sms(origin: dt.datetime, magnitude: float, lat: float, lon: float) -> str:
    """The same format to the second, as the networks send it for events close together."""
    at = origin.astimezone(BEIJING)
    return (
        f"【江西省地震局】江西省地震台网正式测定:{at:%Y年%m月%d日%H时%M分}{at.second:02d}秒在江西宜春市"
        f"上高县(北纬{lat:.2f}度,东经{lon:.2f}度)发生{magnitude:.1f}级地震,震源深度8千米。"
    )


@contextmanager
def worker_held():
    """The real worker stops taking this run's tasks until the block ends (tasks wait queued)."""
    from portal.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    worker = [f"test-{settings.RUN_ID}@{socket.gethostname()}"]
    assert app.control.cancel_consumer(queue, destination=worker, reply=True, timeout=30)
    try:
        yield
    finally:
        assert app.control.add_consumer(queue, destination=worker, reply=True, timeout=30)


class Sequence:
    """Posts a bureau's quick-report SMS to the live server and reads its post-quake cases, as
    a client of the API would (token auth over HTTP)."""

    def __init__(self, server: str, user) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"

    def post(self, text: str) -> dict:
        response = self.http.post(f"{self.server}/api/v1/quick-reports/", json={"text": text}, timeout=30)
        assert response.status_code == 201, response.text
        return response.json()

    def case(self, case_id: int) -> dict:
        response = self.http.get(f"{self.server}/api/v1/post-quake-cases/{case_id}/", timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def case_when(self, wanted, *, until: float, what: str) -> dict:
        """The first case of the list (then read alone) for which ``wanted(case)`` holds, polled
        until the monotonic time ``until``."""
        while time.monotonic() < until:
            listing = self.http.get(f"{self.server}/api/v1/post-quake-cases/", timeout=30).json()
            for row in listing["results"]:
                if wanted(row):
                    return self.case(row["id"])
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}")


def test_an_m6_sequence_posted_as_sms_gets_its_case_and_first_draft_from_the_real_worker(
    asgi_server, real_celery, jx, jx_forecaster
):
    # given: JX acts on quakes from M5.0 in its jurisdiction, with a post-quake case among the actions
    AlertRule.objects.create(bureau=jx, threshold_magnitude=Decimal("5.0"), post_quake_case=True)
    sequence = Sequence(asgi_server, jx_forecaster)
    main_origin = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=11)).replace(second=0, microsecond=0)

    # when: the mainshock's SMS, then the aftershocks', one after the other
    with worker_held():
        main = sequence.post(mainshock_sms(main_origin))
        posted_at = time.monotonic()
        aftershocks = [
            sequence.post(aftershock_sms(main_origin + dt.timedelta(seconds=s), m, lat, lon))
            for s, m, lat, lon in AFTERSHOCKS
        ]
        assert not PostQuakeCase.objects.exists()  # the worker is held indeed
    received = QuickReportMessage.objects.get(pk=main["message_id"]).received_at

    # then: each SMS is an event of its own (none folded into the mainshock as a version)
    assert len({main["id"], *(a["id"] for a in aftershocks)}) == 1 + len(AFTERSHOCKS)
    assert Event.objects.filter(bureau=jx).count() == 1 + len(AFTERSHOCKS)

    # and the worker opens JX's case on the mainshock and drafts it within 5 minutes
    case = sequence.case_when(
        lambda row: row["draft_status"] == "done",
        until=posted_at + DRAFT_WITHIN.total_seconds(),
        what="the case's first draft",
    )
    assert (case["event"], case["bureau"], case["status"]) == (main["id"], "JX", "open")

    # its clock runs from the mainshock SMS's receipt, the opinion due 30 minutes later
    stored = PostQuakeCase.objects.get(pk=case["id"])
    assert stored.clock_start == received
    assert case["clock_start"] == received.isoformat()
    assert dt.datetime.fromisoformat(case["deadline"]) == received + dt.timedelta(minutes=30)
    assert stored.drafted_at - stored.clock_start < DRAFT_WITHIN

    # the draft as the contract gives it: sequence type, Båth, R-J probabilities
    draft = case["draft"]
    assert draft["sequence_type"] == "mainshock_aftershock"  # dM = 6.0 - 4.6 = 1.4
    assert draft["bath_max_aftershock"] == 4.8
    assert draft["parameters"] == {"a": -1.67, "b": 0.91, "p": 1.08, "c": 0.05, "source": "generic"}
    elapsed = draft["sections"]["elapsed_days"]
    assert {(p["min_magnitude"], p["days"]) for p in draft["probabilities"]} == {
        (m, d) for m in (5.0, 6.0) for d in (1, 7, 30)
    }
    for row in draft["probabilities"]:
        m, days = row["min_magnitude"], row["days"]
        closed_form = science.rj_probability(m, 6.0, elapsed, elapsed + days, science.GENERIC)
        assert row["probability"] == pytest.approx(closed_form, abs=1e-3), row

    # the sequence section counts the aftershocks posted, the largest first among them
    sections = draft["sections"]
    assert sections["sequence"]["count"] == len(AFTERSHOCKS)
    assert sections["sequence"]["largest"]["public_id"] == aftershocks[0]["id"]
    assert sections["sequence"]["zone_radius_km"] == 10.0
    assert sections["sequence_type"]["n_events"] == 1 + len(AFTERSHOCKS)

    # and the special-topic report the same arrival built is linked from the event's section
    assert sections["event"]["topic_report"] is not None

    # only the mainshock reached the post-quake threshold: one case, no case per aftershock
    assert PostQuakeCase.objects.count() == 1
