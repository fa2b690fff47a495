"""Fixtures of the trend report tests: fake section compilers (the real ones live in their own
modules), people of JX with two approvers, and a helper that asks for a report and runs its
compilation (Celery is eager; the task is sent on commit)."""

from __future__ import annotations

import base64

import pytest

from trends.compilation import SECTION_KEYS, Compiled, Figure

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class FakeCompilers:
    """Per-section data the tests can change between compilations; ``fail`` makes a key raise."""

    def __init__(self) -> None:
        self.counts = {"2.0–2.9": 5, "3.0–3.9": 2, "4.0–4.9": 1, "5.0–5.9": 0, "≥6.0": 0}
        self.fail: set[str] = set()
        self.calls: list[str] = []

    def make(self, key: str):
        def compile_(context) -> Compiled:
            self.calls.append(key)
            if key in self.fail:
                raise RuntimeError(f"{key} exploded")
            context.progress(50, "half")
            if key == "seismicity":
                return Compiled(
                    data={
                        "counts": dict(self.counts),
                        "mean_counts": dict.fromkeys(self.counts, 1.5),
                        "largest": [
                            {
                                "id": "ev1",
                                "origin_time": "2026-10-03T04:05:06+00:00",
                                "magnitude": 4.2,
                                "location_name": "江西九江",
                                "in_sequence": False,
                            }
                        ],
                        "n_events": sum(self.counts.values()),
                        "outside": [],
                    },
                    n_events=sum(self.counts.values()),
                    figures=[Figure("epicentres", "震中分布", PNG)],
                )
            return Compiled(
                data={"rows": [{"station": "九江台", "item": "水位", "state": "tracking"}], "total": 1}
            )

        return compile_


@pytest.fixture(autouse=True)
def fake_compilers(monkeypatch):
    fakes = FakeCompilers()
    monkeypatch.setattr("trends.compilation._COMPILERS", {key: fakes.make(key) for key in SECTION_KEYS})
    return fakes


@pytest.fixture
def jx_reviewer(make_person, jx):
    return make_person("jx_reviewer", (jx, "approver"), display_name="赣审核人")


@pytest.fixture
def request_report(as_actor, django_capture_on_commit_callbacks):
    """Ask for (and compile) ``bureau``'s report of ``month`` as ``user``."""
    import datetime as dt

    from trends.services import trend_reports

    def make(user, bureau, month=dt.date(2026, 10, 1)):
        with django_capture_on_commit_callbacks(execute=True):
            report, _created = trend_reports.trend_report_request(
                actor=as_actor(user), bureau=bureau, month=month
            )
        report.refresh_from_db()
        return report

    return make


@pytest.fixture
def run_commits(django_capture_on_commit_callbacks):
    """``run_commits(fn, *args, **kwargs)``: call and run what it sent on commit."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
