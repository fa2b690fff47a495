"""``--shard K/N``: run the K-th of N parts of the suite, on a test database of its own.

``scripts/test.sh`` runs the parts side by side, one pytest process each, so that the suite's
waits (the browser, the worker, daphne, PostgreSQL) overlap on the two cores instead of adding
up. pytest-xdist was not used because its scheduler hands tests out one at a time in any order,
while this suite orders them within a process: the demo readers run together in the demo's one
transaction, after the other database tests and before the first transactional one
(tests/conftest.py). pytest-split deals tests by recorded durations but cannot keep a group
together. A part here is a plain pytest run of whole files, which keeps that order, its module
fixtures (Chromium) and its session fixtures (the demo, daphne, the worker).

Files are dealt out by their time, heaviest first, each to the part with the least so far; the
demo readers all go to the first part, so the demo is seeded once. A file's time is the one
recorded in ``shard_times.json`` (its tests' set-up, call and tear-down, summed from a run with
``--durations=0``); a file not recorded there is estimated by its tests' kinds (a browser test
counts for seconds, a plain test for a fraction of one). To record the times again::

    PYTEST_ADDOPTS="--durations=0 --durations-min=0" scripts/test.sh > /tmp/suite.log
    .venv/bin/python -m tests.shards /tmp/suite.log > tests/shard_times.json
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Estimated seconds of a test not recorded, by its kind (measured on the 2-core machine: a
#: browser test 2-5 s, one that waits on the worker or daphne 1-3 s, a transactional one ~0.5 s,
#: the rest 0.05-0.2 s).
BROWSER_S = 3.0
LIVE_S = 2.0
TRANSACTIONAL_S = 0.5
PLAIN_S = 0.15
LIVE_FIXTURES = ("real_celery", "celery_worker_process", "asgi_server", "live_server")
TIMES = Path(__file__).with_name("shard_times.json")
DURATION_RE = re.compile(r"^(?:\[\d+/\d+\] )?([\d.]+)s (?:setup|call|teardown) +(\S+?)::")


@cache
def recorded_times() -> dict[str, float]:
    """Seconds of each file, as last recorded (empty when the file is missing)."""
    try:
        return {str(path): float(seconds) for path, seconds in json.loads(TIMES.read_text()).items()}
    except FileNotFoundError:
        return {}


def file_times(lines: Iterable[str]) -> dict[str, float]:
    """Seconds of each test file, summed from pytest's ``--durations=0`` lines (with or
    without the ``[k/n] `` prefix of scripts/test.sh)."""
    times: dict[str, float] = defaultdict(float)
    for line in lines:
        found = DURATION_RE.match(line)
        if found:
            times[found.group(2)] += float(found.group(1))
    return {path: round(seconds, 1) for path, seconds in sorted(times.items())}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        default=None,
        metavar="K/N",
        help="run the K-th of N parts of the suite (1-based), on test databases suffixed _shardK",
    )


def _parse(value: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in value.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard {value!r}: expected K/N, as 1/2") from None
    if not 1 <= index <= count:
        raise pytest.UsageError(f"--shard {value!r}: K must be from 1 to N")
    return index, count


def shard_of(config: pytest.Config) -> tuple[int, int] | None:
    value = config.getoption("--shard")
    return None if value is None else _parse(value)


def pytest_configure(config: pytest.Config) -> None:
    shard_of(config)  # a malformed --shard is refused before anything runs


def name_test_databases(config: pytest.Config) -> None:
    """``test_<name>_shardK`` for a part, so parts running at once never share a database
    (called by tests/conftest.py's ``django_db_modify_db_settings``, pytest-django's hook for
    the names: a fixture of a conftest file overrides a plugin's, one of this module not)."""
    shard = shard_of(config)
    if shard is None:
        return
    from django.conf import settings

    for alias in settings.DATABASES.values():
        test = alias.setdefault("TEST", {})
        if test.get("MIRROR"):
            continue
        test["NAME"] = f"{test.get('NAME') or 'test_' + alias['NAME']}_shard{shard[0]}"


def estimate(item: pytest.Item) -> float:
    from tests.conftest import _transactional

    fixtures = getattr(item, "fixturenames", ())
    if item.get_closest_marker("browser") is not None:
        return BROWSER_S
    if item.get_closest_marker("worker") is not None or any(name in fixtures for name in LIVE_FIXTURES):
        return LIVE_S
    if _transactional(item):
        return TRANSACTIONAL_S
    return PLAIN_S


def deal(items: Sequence[pytest.Item], count: int, *, pinned: set[int]) -> tuple[list[int], list[float]]:
    """The part (0-based) of each item, and each part's estimated seconds: the pinned items
    (by index) to the first part, the files of the rest, heaviest first, each to the lightest
    part so far."""
    load = [0.0] * count
    files: dict[str, list[int]] = defaultdict(list)
    pinned_files: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        (pinned_files if index in pinned else files)[item.nodeid.split("::", 1)[0]].append(index)

    times = recorded_times()

    def weight(path: str, indexes: list[int], *, recorded: bool = True) -> float:
        if recorded and path in times:
            return times[path]
        return sum(estimate(items[i]) for i in indexes)

    load[0] += sum(weight(path, found) for path, found in pinned_files.items())
    parts = [0] * len(items)
    # A file with demo readers and other tests: the others by their estimate (its recorded time
    # is counted with the demo readers).
    weights = {
        path: weight(path, indexes, recorded=path not in pinned_files) for path, indexes in files.items()
    }
    for path in sorted(files, key=lambda p: (-weights[p], p)):
        lightest = min(range(count), key=lambda k: (load[k], k))
        load[lightest] += weights[path]
        for index in files[path]:
            parts[index] = lightest
    return parts, load


_DEALT = pytest.StashKey[tuple[int, list[float]]]()


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py orders what is left
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = shard_of(config)
    if shard is None:
        return
    from tests.conftest import _reads_the_demo

    index, count = shard
    parts, load = deal(items, count, pinned={i for i, item in enumerate(items) if _reads_the_demo(item)})
    kept = [item for item, part in zip(items, parts, strict=True) if part == index - 1]
    dropped = [item for item, part in zip(items, parts, strict=True) if part != index - 1]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
    config.stash[_DEALT] = (len(kept), load)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    shard = shard_of(config)
    if shard is None or _DEALT not in config.stash:
        return
    tests, load = config.stash[_DEALT]
    estimates = " / ".join(f"{seconds:.0f}" for seconds in load)
    terminalreporter.write_line(
        f"part {shard[0]} of {shard[1]}: {tests} tests; estimated seconds of the parts: {estimates}"
    )


if __name__ == "__main__":  # python -m tests.shards LOG...: the files' times, as JSON
    with open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin as log:
        print(json.dumps(file_times(log), indent=1, ensure_ascii=False))
