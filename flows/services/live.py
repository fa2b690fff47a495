"""Groups and events of the flows' live pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flows.models import FlowRun, NodeRun


def run_group(bureau_id: int, run_id: int) -> str:
    return f"bureau.{bureau_id}.flowrun.{run_id}"


def run_event(run: FlowRun) -> dict[str, Any]:
    return {"kind": "flow.run", "id": run.pk, "status": run.status, "error": run.error}


def node_event(node: NodeRun) -> dict[str, Any]:
    return {
        "kind": "flow.node",
        "run": node.run_id,
        "id": node.node_id,
        "status": node.status,
        "error": node.error,
        "duration_s": node.duration_s,
        "reused": node.reused_from_id is not None,
    }
