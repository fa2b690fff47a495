"""The registry of node types: the building blocks of flows, written in Python by the
portal's developers (nothing a user writes is ever evaluated on the server).

A :class:`NodeType` names its ``type`` ("source.catalog"), its titles and descriptions in
Chinese and English, typed ``inputs`` and ``outputs`` ({port: port type}), which inputs
may stay unconnected (``optional_inputs``), a JSON schema of its parameters
(``params_schema``, checked with the ``jsonschema`` package, Draft 2020-12), its retry
policy (``retries`` on transient errors) and time limit (``time_limit`` seconds), and
``run(context, inputs, params) -> outputs``. An output a node does not produce (the
other side of a condition) is absent from the dict: nodes fed only by it are skipped.

Port types: ``catalog`` (a catalog selection), ``event``, ``series``, ``product`` (a product
result), ``table``, ``figure``, ``document``, ``message``, ``anomaly``; ``any`` accepts and
gives every type (merge).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import get_language

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from portal.models import Bureau
    from portal.tenancy import Actor

PORT_TYPES = (
    "catalog",
    "event",
    "series",
    "product",
    "table",
    "figure",
    "document",
    "message",
    "anomaly",
    "any",
)
FAMILIES = ("trigger", "source", "method", "logic", "output")


class NodeError(Exception):
    """A node could not produce its outputs; the message is shown on the node."""


class TransientNodeError(NodeError):
    """A failure a retry may cure (a webhook that timed out); retried per the node's type."""


def ports_compatible(source: str, target: str) -> bool:
    return source == target or "any" in (source, target)


@dataclass
class NodeContext:
    """What a node may know of its run: the bureau (and its reader, never more), when and
    why the run started, whether it is a dry run, and where its files go."""

    bureau: Bureau
    reader: Actor
    run_id: int
    node_id: int | str
    now: datetime
    trigger: dict[str, Any] = field(default_factory=dict)
    input: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    directory: Path | None = None
    flow_name: str = ""
    author_id: int | None = None
    # what a node did besides its outputs (a product run id, a reuse): kept on the NodeRun
    notes: dict[str, Any] = field(default_factory=dict)


class NodeType:
    """Base class of node types; subclasses set the class attributes and ``run``."""

    type: ClassVar[str] = ""
    family: ClassVar[str] = ""
    title_zh: ClassVar[str] = ""
    title_en: ClassVar[str] = ""
    description_zh: ClassVar[str] = ""
    description_en: ClassVar[str] = ""
    inputs: ClassVar[dict[str, str]] = {}
    optional_inputs: ClassVar[frozenset[str]] = frozenset()
    outputs: ClassVar[dict[str, str]] = {}
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    retries: ClassVar[int] = 0
    time_limit: ClassVar[int] = 60
    # A node with effects outside the run (notify, create, publish) does nothing in a dry run.
    side_effects: ClassVar[bool] = False
    # Store the schema's defaults in the definition (a method's own engine fills its defaults,
    # where one parameter given replaces another's default: radius_km for nearest).
    fill_defaults: ClassVar[bool] = True
    # An alert action (catalog.AlertAction: "topic_report") this node does itself: a bureau whose
    # enabled flow on the quake holds such a node gets no second one from the portal's own
    # reaction (flows.services.triggers.flow_replaces, asked by catalog.arrival.decide).
    replaces_alert_action: ClassVar[str] = ""

    def title(self) -> str:
        return self.title_en if (get_language() or "zh-hans").startswith("en") else self.title_zh

    def description(self) -> str:
        return self.description_en if (get_language() or "zh-hans").startswith("en") else self.description_zh

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        """Checks beyond the schema, as {param key: message} (a link through check_link)."""
        return {}

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "family": self.family,
            "title": self.title(),
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "description": self.description(),
            "description_zh": self.description_zh,
            "description_en": self.description_en,
            "inputs": dict(self.inputs),
            "optional_inputs": sorted(self.optional_inputs),
            "outputs": dict(self.outputs),
            "params_schema": self.params_schema,
            "retries": self.retries,
            "time_limit": self.time_limit,
        }


NODE_TYPES: dict[str, NodeType] = {}


def register(node: NodeType) -> NodeType:
    if node.family not in FAMILIES:
        raise ValueError(f"{node.type}: unknown family {node.family!r}")
    for port_type in (*node.inputs.values(), *node.outputs.values()):
        if port_type not in PORT_TYPES:
            raise ValueError(f"{node.type}: unknown port type {port_type!r}")
    NODE_TYPES[node.type] = node
    return node


def node_types() -> list[NodeType]:
    from . import nodes

    nodes.load()
    return sorted(NODE_TYPES.values(), key=lambda n: (FAMILIES.index(n.family), n.type))


def node_type(name: str) -> NodeType | None:
    from . import nodes

    nodes.load()
    return NODE_TYPES.get(name)
