"""Shared fixtures: the named cast, a live ASGI server, a real Celery worker, Chromium.

The cast (see ../shared/STYLE.md §8): ``jx`` and ``nm`` are provinces, ``cenc``
the national centre; ``jx_admin``, ``jx_reporter``, ``jx_expert`` (fluid),
``jx_forecaster``, ``jx_chair``, ``jx_approver``, ``jx_viewer``, ``nm_admin``,
``nm_forecaster``, ``cenc_forecaster``, ``sysadmin`` and ``outsider`` (no role), built with
the factories of tests/factories.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD, BureauFactory, MembershipFactory, UserFactory, box

if TYPE_CHECKING:
    from collections.abc import Iterator

# Playwright's sync API keeps an event loop on the main thread; the ORM calls the
# tests make around it are still synchronous. Django's documented escape hatch:
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """A part of the suite (``--shard``) on test databases of its own (tests/shards.py)."""
    from tests.shards import name_test_databases

    name_test_databases(request.config)


@pytest.fixture(scope="session", autouse=True)
def _drop_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the connections other threads left open
    (database_sync_to_async workers, subprocesses that did not close cleanly).

    Depending on django_db_setup makes this teardown run before the database is dropped.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# --- the demo data, seeded once for the run ------------------------------------------------


#: closes the demo's transaction (``demo_data``) once its last reader has run
_DEMO_CLOSE: list[Any] = []


@pytest.fixture(scope="session")
def demo_data(django_db_setup, django_db_blocker):
    """``seed_demo`` as ``make run`` runs it, with the Celery tasks it queues run eagerly, once
    for the whole run (~1 min), in a transaction rolled back when its last reader has run. The
    tests that read it (the crawl of every role, the Beijing-time crawl) each run in a
    savepoint inside it, as any ``django_db`` test does, so none sees another's writes.

    While it is open every other test would see the demo rows: so the tests that use it (and
    those marked ``demo``, which must follow them) run together, after the other database tests
    and before the transactional ones (``pytest_collection_modifyitems`` below), which empty
    the tables and with them the reference rows that migrations made (observation items …);
    the transaction is rolled back right after the last of them (``pytest_runtest_teardown``)."""
    import io

    from django.core.management import call_command
    from django.db import transaction
    from django.test import TestCase

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()

    def close() -> None:
        if close in _DEMO_CLOSE:
            _DEMO_CLOSE.remove(close)
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)

    _DEMO_CLOSE.append(close)
    try:
        with django_db_blocker.unblock():
            began = time.monotonic()
            with TestCase.captureOnCommitCallbacks(execute=True):
                call_command("seed_demo", stdout=io.StringIO())
            print(f"\nseed_demo: {time.monotonic() - began:.1f} s")
        yield
    finally:
        close()


def _reads_the_demo(item: pytest.Item) -> bool:
    return "demo_data" in getattr(item, "fixturenames", ()) or item.get_closest_marker("demo") is not None


def _transactional(item: pytest.Item) -> bool:
    """pytest-django's own test of a transactional test (its ``get_order_number``)."""
    from django.test import TestCase, TransactionTestCase

    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, TransactionTestCase):
        return not issubclass(cls, TestCase)
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures


@pytest.hookimpl(trylast=True)  # after pytest-django's own order (db, transactional, the rest)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that read the demo data run together, in their order, at the end of the
    database tests and before the first transactional one: the demo is seeded once for them
    (``demo_data``) and must be gone before a transactional test commits anything."""
    last = [item for item in items if _reads_the_demo(item)]
    if not last:
        return
    rest = [item for item in items if not _reads_the_demo(item)]
    at = next((i for i, item in enumerate(rest) if _transactional(item)), len(rest))
    items[:] = rest[:at] + last + rest[at:]


@pytest.hookimpl(trylast=True)  # after the test's own fixtures (its savepoint) are torn down
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Roll the demo back as soon as its last reader has run."""
    if _reads_the_demo(item) and (nextitem is None or not _reads_the_demo(nextitem)):
        for close in _DEMO_CLOSE:
            close()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language and leaves it there.

    ``translation.activate`` is per thread: a test that switches to English (or a request
    that activates the reader's language in the test thread) would otherwise change the
    words the next test sees.
    """
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with no cached sessions or login-failure counters of this run."""
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for key in client.scan_iter(f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=500):
        client.delete(key)
    return


@pytest.fixture
def disciplines(db):
    from portal.demo import load_disciplines

    return {d.code: d for d in load_disciplines()}


@pytest.fixture
def jx(db):
    return BureauFactory(
        code="JX", name_zh="江西省地震局", name_en="Jiangxi", jurisdiction=box(113.5, 24.5, 118.5, 30.1)
    )


@pytest.fixture
def nm(db):
    return BureauFactory(
        code="NM",
        name_zh="内蒙古自治区地震局",
        name_en="Inner Mongolia",
        jurisdiction=box(97.2, 37.4, 126.1, 53.3),
    )


@pytest.fixture
def cenc(db):
    return BureauFactory(
        code="CENC",
        name_zh="中国地震台网中心",
        name_en="CENC",
        kind="national",
        jurisdiction=box(73.5, 18.0, 135.1, 53.6),
    )


@pytest.fixture
def make_person(db, disciplines):
    """``make_person("name", (bureau, role[, discipline_code]), ...)`` → User with those roles."""

    def make(username: str, *grants, superuser: bool = False, **fields):
        user = UserFactory(username=username, is_superuser=superuser, **fields)
        for grant in grants:
            bureau, role, *rest = grant
            MembershipFactory(
                user=user, bureau=bureau, role=role, discipline=disciplines[rest[0]] if rest else None
            )
        return user

    return make


@pytest.fixture
def jx_admin(make_person, jx):
    return make_person("jx_admin", (jx, "bureau_admin"), display_name="赣管理员")


@pytest.fixture
def jx_reporter(make_person, jx):
    return make_person("jx_reporter", (jx, "reporter"))


@pytest.fixture
def jx_expert(make_person, jx):
    return make_person("jx_expert", (jx, "expert", "fluid"))


@pytest.fixture
def jx_forecaster(make_person, jx):
    return make_person("jx_forecaster", (jx, "forecaster"))


@pytest.fixture
def jx_chair(make_person, jx):
    return make_person("jx_chair", (jx, "chair"), (jx, "forecaster"))


@pytest.fixture
def jx_approver(make_person, jx):
    return make_person("jx_approver", (jx, "approver"))


@pytest.fixture
def jx_viewer(make_person, jx):
    return make_person("jx_viewer", (jx, "viewer"))


@pytest.fixture
def nm_admin(make_person, nm):
    return make_person("nm_admin", (nm, "bureau_admin"))


@pytest.fixture
def nm_forecaster(make_person, nm):
    return make_person("nm_forecaster", (nm, "forecaster"))


@pytest.fixture
def cenc_forecaster(make_person, cenc):
    return make_person("cenc_forecaster", (cenc, "forecaster"))


@pytest.fixture
def sysadmin(make_person):
    return make_person("sysadmin", superuser=True)


@pytest.fixture
def outsider(make_person):
    return make_person("outsider")


@pytest.fixture
def api():
    """``api(user=None, bureau=None)`` → an APIClient signed in as ``user`` (token auth)."""
    from rest_framework.authtoken.models import Token

    def make(user=None, bureau: str | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(
                HTTP_AUTHORIZATION=f"Token {token.key}", **({"HTTP_X_BUREAU": bureau} if bureau else {})
            )
        return client

    return make


def actor(user, bureau_code: str | None = None):
    from portal.tenancy import actor_for

    return actor_for(user, bureau_code)


@pytest.fixture
def as_actor():
    return actor


# --- live processes ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_env() -> dict[str, str]:
    """Environment for a subprocess that must share this run's test database and Redis prefixes."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.test",
        DATABASE_URL=(
            f"postgis://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        PORTAL_TEST_RUN_ID=settings.RUN_ID,
        PORTAL_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        CELERY_TASK_ALWAYS_EAGER="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_for(check, timeout: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log.read_text()[-3000:]}")
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start in {timeout}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[str]:
    """daphne serving the portal (HTTP and websockets) against the test database."""
    port = _free_port()
    log = tmp_path_factory.mktemp("asgi") / "daphne.log"
    with django_db_blocker.unblock():
        env = _child_env()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def up() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    _wait_for(up, 30, "daphne", proc, log)
    yield f"http://127.0.0.1:{port}"
    _stop(proc)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[subprocess.Popen]:
    """A real Celery worker on this run's own queue, against the test database."""
    from portal.celery import app

    log = tmp_path_factory.mktemp("celery") / "worker.log"
    with django_db_blocker.unblock():
        env = _child_env()
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-P",
                "solo",
                "-Q",
                queue,
                "-n",
                f"test-{settings.RUN_ID}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    name = f"test-{settings.RUN_ID}@{socket.gethostname()}"

    def up() -> bool:
        return bool(app.control.ping(destination=[name], timeout=0.5))

    _wait_for(up, 60, "celery worker", proc, log)
    proc.log_path = log  # type: ignore[attr-defined]
    yield proc
    _stop(proc)


@pytest.fixture
def real_celery(celery_worker_process):
    """Send tasks to the real worker instead of running them eagerly, for one test."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield celery_worker_process
    app.conf.task_always_eager = previous


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright (never a downloaded browser).

    Module-scoped: Playwright's sync API holds an event loop on the main thread while
    it runs, which asyncio tests of later modules (websockets) could not start under.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def browser_login(chromium, asgi_server):
    """``browser_login(user, phone=False, locale="zh-CN")`` → a signed-in Playwright page."""
    contexts = []

    def login(user, *, phone: bool = False, password: str = PASSWORD, locale: str = "zh-CN"):
        context = chromium.new_context(base_url=asgi_server, locale=locale, **(PHONE if phone else {}))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{asgi_server}/")
        return page

    yield login
    for context in contexts:
        context.close()
