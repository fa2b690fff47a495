"""Fixtures of the trends tests: a local webhook receiver (the reports tests' one)."""

from __future__ import annotations

import pytest

from tests.reports.conftest import Receiver


@pytest.fixture
def webhook():
    """``webhook(status=200)`` → a running Receiver; closed after the test."""
    started: list[Receiver] = []

    def start(status: int = 200) -> Receiver:
        receiver = Receiver(status)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()
