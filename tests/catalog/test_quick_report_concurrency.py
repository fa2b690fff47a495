"""The same quick report posted many times at once makes one event, one report and one meeting:
the database decides (a unique constraint on the inbox, a per-bureau lock around match-then-insert),
not a check that runs before the insert. The reactions (report, meeting) run in a real worker:
the requests only enqueue ``catalog.event_arrived``."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection
from rest_framework.authtoken.models import Token

from catalog.models import Event, EventVersion, QuickReportMessage
from consultations.models import Meeting
from reports.models import TopicReport
from tests.reports.conftest import jx_sms

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _server_idle_before_flush():
    """After each test, wait until the server's own work on the test database has ended.

    The reactions to a quake (report, meeting) may still be writing after the last answer;
    flushing the tables under them deadlocks and leaves rows to the next test.
    """
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


def _eventually(count, expected: int, timeout: float = 60) -> int:
    """Wait for the worker: the reactions run after the answers."""
    deadline = time.monotonic() + timeout
    while count() < expected and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(1)  # and a little longer: a second one would show up now
    return count()


def _post_at_once(url: str, token: str, texts: list[str]) -> list[requests.Response]:
    start = threading.Barrier(len(texts))

    def post(text: str) -> requests.Response:
        start.wait()  # all threads send together
        return requests.post(
            f"{url}/api/v1/quick-reports/",
            json={"text": text},
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        return list(pool.map(post, texts))


def test_the_same_sms_twenty_times_at_once_makes_one_event_one_report_one_meeting(
    asgi_server, real_celery, jx, jx_forecaster
):
    # given
    token = Token.objects.create(user=jx_forecaster).key
    text = jx_sms("5.2")
    # when
    responses = _post_at_once(asgi_server, token, [text] * 20)
    # then: every caller got the one event
    assert sorted({r.status_code for r in responses}) == [200, 201], [r.text[:200] for r in responses]
    assert [r.status_code for r in responses].count(201) == 1
    event_ids = {r.json()["id"] for r in responses}
    assert len(event_ids) == 1
    assert Event.objects.count() == 1
    assert EventVersion.objects.count() == 1
    assert QuickReportMessage.objects.count() == 1
    assert _eventually(TopicReport.objects.filter(bureau=jx).count, 1) == 1
    assert _eventually(Meeting.objects.filter(bureau=jx).count, 1) == 1


def test_two_wordings_of_one_quake_at_once_make_one_event_with_two_versions(
    asgi_server, real_celery, jx, jx_forecaster
):
    # given: the automatic and the formal report of the same quake (5 km apart) arrive together
    token = Token.objects.create(user=jx_forecaster).key
    automatic = jx_sms("5.0", kind="自动")
    formal = jx_sms("5.2", lat="28.15", lon="115.03")
    # when
    responses = _post_at_once(asgi_server, token, [automatic, formal] * 5)
    # then
    assert {r.status_code for r in responses} <= {200, 201}, [r.text[:200] for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert Event.objects.count() == 1
    assert EventVersion.objects.count() == 2
    assert QuickReportMessage.objects.count() == 2
    assert _eventually(Meeting.objects.filter(bureau=jx).count, 1) == 1
