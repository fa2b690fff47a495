"""Fixtures of the flows' tests: the products' synthetic catalog, and a JX flow."""

from __future__ import annotations

import pytest

from tests.products.conftest import make_events  # noqa: F401 (a fixture, used by name)


def bvalue_flow(threshold: float = 5.0, notify: dict | None = None) -> dict:
    """catalog (JX jurisdiction, all time) -> b-value -> b < threshold -> in-app notification."""
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "cat", "type": "source.catalog", "params": {"area": "jurisdiction", "days": None}},
            {"id": "b", "type": "method.bvalue", "params": {}},
            {
                "id": "low",
                "type": "logic.condition",
                "params": {"path": "result.b", "op": "lt", "threshold": threshold},
            },
            {"id": "tell", "type": "output.notify", "params": {"title": "b-value is low", **(notify or {})}},
        ],
        "edges": [
            {"from": "cat.catalog", "to": "b.catalog"},
            {"from": "b.result", "to": "low.value"},
            {"from": "low.then", "to": "tell.message"},
        ],
    }


@pytest.fixture
def jx_bflow(jx_forecaster, as_actor):
    from flows.services.flows import flow_create

    def make(**kw):
        return flow_create(
            actor=as_actor(jx_forecaster), name=kw.pop("name", "b-value watch"), definition=bvalue_flow(**kw)
        )

    return make
