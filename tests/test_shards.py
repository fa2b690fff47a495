"""How tests/shards.py deals the suite into parts (scripts/test.sh runs them side by side)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests import shards
from tests.shards import BROWSER_S, PLAIN_S, deal, estimate, file_times

RECORDED = {"tests/test_schema_fuzz.py": 155.0, "tests/test_crawl.py": 230.0}


@dataclass
class FakeItem:
    nodeid: str
    markers: tuple[str, ...] = ()
    fixturenames: tuple[str, ...] = field(default_factory=tuple)

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None


@pytest.fixture(autouse=True)
def _recorded(monkeypatch):
    monkeypatch.setattr(shards, "recorded_times", lambda: RECORDED)


def _items() -> list[FakeItem]:
    items = [FakeItem(f"tests/a/test_{n}.py::test_{k}") for n in range(12) for k in range(n + 1)]
    items += [FakeItem(f"tests/b/test_browser.py::test_{k}", markers=("browser",)) for k in range(20)]
    items += [FakeItem("tests/test_schema_fuzz.py::test_fuzz")]
    items += [
        FakeItem("tests/test_crawl.py::test_crawl[r1]"),
        FakeItem("tests/test_crawl.py::test_crawl[r2]"),
    ]
    return items


def test_every_test_is_in_one_part_and_no_file_is_split() -> None:
    items = _items()
    parts, load = deal(items, 2, pinned=set())  # type: ignore[arg-type]
    assert len(parts) == len(items)
    assert set(parts) == {0, 1}
    by_file: dict[str, set[int]] = {}
    for item, part in zip(items, parts, strict=True):
        by_file.setdefault(item.nodeid.split("::")[0], set()).add(part)
    assert all(len(found) == 1 for found in by_file.values()), by_file
    estimated = sum(estimate(i) for i in items if i.nodeid.split("::")[0] not in RECORDED)  # type: ignore[arg-type]
    assert sum(load) == pytest.approx(estimated + sum(RECORDED.values()))
    assert max(load) - min(load) <= RECORDED["tests/test_crawl.py"]  # within the largest file


def test_the_demo_readers_all_go_to_the_first_part() -> None:
    items = _items()
    crawl = {i for i, item in enumerate(items) if "crawl" in item.nodeid}
    parts, load = deal(items, 3, pinned=crawl)  # type: ignore[arg-type]
    assert {parts[i] for i in crawl} == {0}
    assert set(parts) == {0, 1, 2}
    assert load[0] >= RECORDED["tests/test_crawl.py"]


def test_a_browser_test_weighs_more_than_a_plain_one() -> None:
    assert estimate(FakeItem("x.py::t", markers=("browser",))) == BROWSER_S  # type: ignore[arg-type]
    assert estimate(FakeItem("x.py::t")) == PLAIN_S  # type: ignore[arg-type]
    assert estimate(FakeItem("x.py::t", fixturenames=("real_celery",))) > PLAIN_S  # type: ignore[arg-type]
    assert estimate(FakeItem("x.py::t", fixturenames=("transactional_db",))) > PLAIN_S  # type: ignore[arg-type]


def test_file_times_sum_the_durations_of_each_file() -> None:
    log = [
        "[1/2] 64.85s setup    tests/portal/test_timefmt.py::test_pages",
        "[1/2] 22.98s call     tests/portal/test_timefmt.py::test_pages",
        "0.50s teardown tests/catalog/test_demo.py::test_seed[a]",
        "[2/2] ....................................... [ 62%]",
        "[2/2] 1951 passed, 2055 deselected in 605.35s (0:10:05)",
    ]
    assert file_times(log) == {"tests/catalog/test_demo.py": 0.5, "tests/portal/test_timefmt.py": 87.8}


def test_every_recorded_file_exists() -> None:
    """A file renamed or removed leaves its time behind: record the times again (the module's
    docstring says how)."""
    import json
    from pathlib import Path

    root = Path(shards.__file__).resolve().parent.parent
    missing = [path for path in json.loads(shards.TIMES.read_text()) if not (root / path).exists()]
    assert not missing


@pytest.mark.parametrize("value", ["1", "0/2", "3/2", "a/b", "1/2/3"])
def test_a_malformed_shard_is_refused(value: str) -> None:
    with pytest.raises(pytest.UsageError):
        shards._parse(value)
