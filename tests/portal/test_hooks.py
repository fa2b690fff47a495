"""portal/hooks.py: callbacks registered by name run after the firing transaction commits."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from portal import hooks


@pytest.fixture
def test_hook(monkeypatch):
    """A hook name of this test only; the registry is restored afterwards."""
    monkeypatch.setattr(hooks, "_HOOKS", {})
    return "test.happened"


def test_registering_a_callback_twice_keeps_it_once(test_hook):
    # given
    def react(**kwargs):
        return None

    # when
    hooks.hook(test_hook)(react)
    hooks.hook(test_hook)(react)
    # then
    registered = hooks._HOOKS
    assert registered == {test_hook: [react]}


@pytest.mark.django_db
def test_callbacks_run_only_after_commit_with_the_fired_arguments(
    test_hook, django_capture_on_commit_callbacks
):
    # given
    calls = []
    hooks.hook(test_hook)(lambda **kwargs: calls.append(kwargs))
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        hooks.fire(test_hook, event_id=7)
        # then: nothing ran inside the transaction
        assert calls == []
    assert (len(callbacks), calls) == (1, [{"event_id": 7}])


@pytest.mark.django_db
def test_callbacks_do_not_run_when_the_transaction_rolls_back(test_hook, django_capture_on_commit_callbacks):
    # given
    calls = []
    hooks.hook(test_hook)(lambda **kwargs: calls.append(kwargs))

    # when: the block that fired the hook rolls back (a savepoint inside the test's transaction)
    def fire_then_fail():
        with transaction.atomic():
            hooks.fire(test_hook, event_id=7)
            raise RuntimeError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        fire_then_fail()
    # then
    assert (callbacks, calls) == ([], [])


@pytest.mark.django_db
def test_a_failing_callback_is_logged_and_the_others_still_run(
    test_hook, django_capture_on_commit_callbacks, caplog
):
    # given: registered in this order
    calls = []

    def first(**kwargs):
        calls.append("first")

    def broken(**kwargs):
        raise ValueError("boom")

    def last(**kwargs):
        calls.append("last")

    for func in (first, broken, last):
        hooks.hook(test_hook)(func)
    # when
    with (
        caplog.at_level(logging.ERROR, logger="portal.hooks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        hooks.fire(test_hook)
    # then
    assert calls == ["first", "last"]
    assert [r.getMessage() for r in caplog.records if r.name == "portal.hooks"] == [
        f"hook {test_hook}: {broken.__qualname__} failed"
    ]


@pytest.mark.django_db
def test_firing_a_hook_nobody_registered_does_nothing(test_hook, django_capture_on_commit_callbacks):
    # when / then: no error
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        hooks.fire("nobody.listens")
    assert len(callbacks) == 1
