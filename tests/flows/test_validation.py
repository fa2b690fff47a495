"""Validation of flow definitions: each problem is named by its node or edge."""

from __future__ import annotations

import pytest

from flows.registry import node_type, node_types
from flows.validation import FlowInvalid, definition_clean, definition_diff, topological_layers


def _flow(nodes, edges=()):
    return {"nodes": nodes, "edges": list(edges)}


CATALOG_B = _flow(
    [
        {"id": "cat", "type": "source.catalog", "params": {"area": "jurisdiction"}},
        {"id": "b", "type": "method.bvalue", "params": {"min_events": 50}},
    ],
    [{"from": "cat.catalog", "to": "b.catalog"}],
)


def _errors(definition):
    with pytest.raises(FlowInvalid) as caught:
        definition_clean(definition)
    return caught.value.errors


def test_a_valid_flow_is_returned_with_defaults_filled():
    clean = definition_clean(CATALOG_B)
    assert clean["nodes"][0]["params"]["radius_km"] == 100.0
    # a method's parameters stay as given: the product engine fills its own defaults
    assert clean["nodes"][1]["params"] == {"min_events": 50}
    assert clean["edges"] == [{"from": "cat.catalog", "to": "b.catalog"}]


def test_an_unknown_type_is_named_on_its_node():
    assert _errors(_flow([{"id": "x", "type": "method.astrology"}])) == {
        "nodes.x.type": "unknown node type 'method.astrology'"
    }


def test_a_cycle_is_refused():
    definition = _flow(
        [
            {"id": "a", "type": "logic.merge"},
            {"id": "b", "type": "logic.merge"},
        ],
        [{"from": "a.out", "to": "b.a"}, {"from": "b.out", "to": "a.a"}],
    )
    assert _errors(definition) == {"edges": "the edges make a cycle"}


def test_port_types_that_do_not_match_name_the_edge():
    definition = _flow(
        [
            {"id": "b", "type": "method.bvalue"},
            {"id": "b2", "type": "method.mc"},
            {"id": "cat", "type": "source.catalog"},
        ],
        [{"from": "cat.catalog", "to": "b.catalog"}, {"from": "b.result", "to": "b2.catalog"}],
    )
    assert _errors(definition) == {
        "edges.1": "a product output cannot feed a catalog input",
        "nodes.b2.inputs.catalog": "required input not connected",  # the refused edge feeds nothing
    }


def test_an_edge_to_an_unknown_node_or_port_is_named():
    definition = _flow(
        [{"id": "cat", "type": "source.catalog"}, {"id": "b", "type": "method.bvalue"}],
        [
            {"from": "cat.catalog", "to": "b.catalog"},
            {"from": "cat.catalog", "to": "ghost.catalog"},
            {"from": "cat.events", "to": "b.catalog"},
        ],
    )
    assert _errors(definition) == {
        "edges.1": "no node 'ghost'",
        "edges.2": "cat (source.catalog) has no output 'events'",
    }


def test_a_required_input_not_connected_is_named():
    assert _errors(_flow([{"id": "b", "type": "method.bvalue"}])) == {
        "nodes.b.inputs.catalog": "required input not connected"
    }


def test_invalid_parameters_are_named_each():
    definition = _flow(
        [
            {"id": "cat", "type": "source.catalog", "params": {"area": "moon"}},
            {"id": "b", "type": "method.bvalue", "params": {"bin": 5, "colour": "red"}},
        ],
        [{"from": "cat.catalog", "to": "b.catalog"}],
    )
    errors = _errors(definition)
    assert set(errors) == {"nodes.cat.params.area", "nodes.b.params.bin", "nodes.b.params.colour"}
    assert errors["nodes.b.params.colour"] == "unknown parameter"


def test_the_method_engines_own_rules_apply():
    definition = _flow(
        [
            {"id": "cat", "type": "source.catalog"},
            {"id": "g", "type": "method.bvalue_grid", "params": {"nearest": 100, "radius_km": 50}},
        ],
        [{"from": "cat.catalog", "to": "g.catalog"}],
    )
    assert _errors(definition)["nodes.g.params.nearest"] == "give exactly one of nearest and radius_km"


def test_a_wechat_webhook_must_be_a_safe_https_link():
    definition = _flow(
        [
            {"id": "m", "type": "trigger.manual"},
            {
                "id": "n",
                "type": "output.notify",
                "params": {"title": "t", "channel": "wechat", "webhook_url": "javascript:alert(1)"},
            },
            {"id": "cat", "type": "source.catalog"},
        ],
        [{"from": "cat.catalog", "to": "n.message"}],
    )
    assert set(_errors(definition)) == {"nodes.n.params.webhook_url"}


def test_a_bad_cron_field_is_named():
    definition = _flow([{"id": "s", "type": "trigger.schedule", "params": {"hour": "25"}}])
    assert set(_errors(definition)) == {"nodes.s.params.hour"}


def test_every_product_method_is_a_node_with_its_parameters():
    from products.methods.registry import METHODS

    for name, method in METHODS.items():
        node = node_type(f"method.{name}")
        assert node is not None, name
        assert set(node.params_schema["properties"]) >= set(method.params), name
    families = {n.family for n in node_types()}
    assert families == {"trigger", "source", "method", "logic", "output"}


def test_layers_and_diff():
    assert topological_layers(["a", "b", "c"], [("a", "c"), ("b", "c")]) == [["a", "b"], ["c"]]
    old = definition_clean(CATALOG_B)
    new = definition_clean(
        {
            "nodes": [
                {"id": "cat", "type": "source.catalog", "params": {"area": "jurisdiction"}, "x": 5},
                {"id": "b", "type": "method.bvalue", "params": {"min_events": 80}},
                {"id": "t", "type": "trigger.manual"},
            ],
            "edges": [{"from": "cat.catalog", "to": "b.catalog"}],
        }
    )
    diff = definition_diff(old, new)
    assert diff["nodes_added"] == ["t"]
    assert diff["nodes_changed"] == [{"id": "b", "params": {"min_events": {"old": 50, "new": 80}}}]
    assert diff["edges_added"] == diff["edges_removed"] == diff["nodes_removed"] == []
