"""Runs of flows on the Celery workers, through Celery's own canvas.

    run  queued --start--> running --succeed--> succeeded
         queued/running --fail--> failed          (the flow's author is told)
         queued/running --cancel--> cancelled     (a person of the flow's bureau)
    node pending --start--> running (again on a retry) --succeed/reuse--> succeeded
         pending/running --fail--> failed;  pending --skip--> skipped

``run_request`` stores the run and one pending ``NodeRun`` per node and, on commit, enqueues
``flows.run_start``, which starts the run and sends the canvas: a chain of the topological
layers of the graph (a layer of several nodes is a group: a chord with the next step), each
node one ``flows.run_node(run_id, node_id)`` task with its type's time limit, ending in
``flows.run_finish(run_id)``, which sets the run's final state.

``node_execute`` is idempotent: the node run is locked, and a node already finished is not
run again (a redelivered message changes nothing). A node reads its inputs from its
predecessors' stored outputs. A node whose predecessor failed or was skipped, or whose
required input was not produced (the other side of a condition), is skipped. A node that
fails skips every node downstream of it at once, and the run ends failed. Transient errors
(the database, the broker, a webhook that did not answer) are retried per the node type's
``retries``; the run's overall limit is ``RUN_TIME_LIMIT`` (the job watchdog fails a run
past it). A flow runs as its bureau's reader (``bureau_reader``): it sees what the bureau
sees, never more.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from flows import selectors
from flows.models import Flow, FlowRun, FlowRunStatus, NodeRun, NodeStatus
from flows.nodes.logic import EACH
from flows.permissions import can_cancel_run, can_run_flow
from flows.registry import NodeContext, NodeError, TransientNodeError, node_type
from flows.validation import plan
from portal.exceptions import PermissionDenied
from portal.models import Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record
from portal.tenancy import bureau_reader
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    by_the_system,
    register,
    register_labels,
    row_lock,
    transition,
)

from .live import node_event, run_event, run_group

if TYPE_CHECKING:
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

RUN_TIME_LIMIT = 3600  # seconds a whole run may take
STALE_QUEUED = timedelta(minutes=10)  # a queued run whose start message was lost
OUTPUT_INLINE_MAX = 64_000  # characters of a node's JSON output kept on the row; more goes to a file
EACH_MAX = 100


def _author_told(run: FlowRun, actor: Actor | None, comment: str) -> list[Handoff]:
    """A failed run is never silent: its flow's author (else the bureau's forecasters) is told why."""
    author = run.flow.author
    people = (
        [author]
        if author is not None and author.is_active
        else list(bureau_role_holders(bureau=run.bureau_id, roles=[Role.FORECASTER]))
    )
    return [
        Handoff(
            people,
            title=_("Flow run failed: %(name)s #%(id)d") % {"name": run.flow.name, "id": run.pk},
            body=run.error[:500],
            level=Notification.Level.WARNING,
            kind="flows.run_failed",
        )
    ]


def _run_live(run: FlowRun, action: str) -> list[tuple[str, dict[str, Any]]]:
    return [(run_group(run.bureau_id, run.pk), run_event(run))]


def _node_live(node: NodeRun, action: str) -> list[tuple[str, dict[str, Any]]]:
    return [(run_group(node.bureau_id, node.run_id), node_event(node))]


_lock_run = row_lock(FlowRun, "flow", "flow__author", "bureau")
_lock_node = row_lock(NodeRun)
FINAL = frozenset({FlowRunStatus.SUCCEEDED, FlowRunStatus.FAILED, FlowRunStatus.CANCELLED})

RUN_WORKFLOW = register(
    Workflow(
        name="flow_run",
        model=FlowRun,
        state_field="status",
        noun=gettext_lazy("flow run"),
        lock=_lock_run,
        url=lambda run: run.get_absolute_url(),
        live=_run_live,
        transitions={
            "start": Transition(
                frozenset({FlowRunStatus.QUEUED}),
                FlowRunStatus.RUNNING,
                by_the_system,
                gettext_lazy("run started"),
            ),
            "succeed": Transition(
                frozenset({FlowRunStatus.RUNNING}),
                FlowRunStatus.SUCCEEDED,
                by_the_system,
                gettext_lazy("run succeeded"),
            ),
            "fail": Transition(
                frozenset({FlowRunStatus.QUEUED, FlowRunStatus.RUNNING}),
                FlowRunStatus.FAILED,
                by_the_system,
                gettext_lazy("run failed"),
                notify=_author_told,
            ),
            "cancel": Transition(
                frozenset({FlowRunStatus.QUEUED, FlowRunStatus.RUNNING}),
                FlowRunStatus.CANCELLED,
                can_cancel_run,
                gettext_lazy("run cancelled"),
                gettext_lazy("Cancel"),
            ),
        },
    )
)

# A node's moves are the worker's bookkeeping, audited like every move (a flow of five nodes
# writes some fifteen rows per run); they are what the run page shows live.
NODE_WORKFLOW = register(
    Workflow(
        name="flow_node",
        model=NodeRun,
        state_field="status",
        noun=gettext_lazy("flow node"),
        lock=_lock_node,
        url=lambda node: f"/flows/runs/{node.run_id}/",
        live=_node_live,
        transitions={
            "start": Transition(
                frozenset({NodeStatus.PENDING, NodeStatus.RUNNING}),
                NodeStatus.RUNNING,
                by_the_system,
                gettext_lazy("node started"),
            ),
            "succeed": Transition(
                frozenset({NodeStatus.RUNNING}),
                NodeStatus.SUCCEEDED,
                by_the_system,
                gettext_lazy("node done"),
            ),
            "reuse": Transition(
                frozenset({NodeStatus.RUNNING}),
                NodeStatus.SUCCEEDED,
                by_the_system,
                gettext_lazy("node done with a stored result"),
            ),
            "fail": Transition(
                frozenset({NodeStatus.PENDING, NodeStatus.RUNNING}),
                NodeStatus.FAILED,
                by_the_system,
                gettext_lazy("node failed"),
            ),
            "skip": Transition(
                frozenset({NodeStatus.PENDING}),
                NodeStatus.SKIPPED,
                by_the_system,
                gettext_lazy("node skipped"),
            ),
        },
    )
)
register_labels({"flow_run.create": gettext_lazy("run requested")})


def run_directory(bureau_id: int, run_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "flows" / str(bureau_id) / str(run_id)


# --- requesting -------------------------------------------------------------------------


def _enqueue_on_commit(run: FlowRun) -> None:
    from flows.tasks import flow_run_start_task

    run_id = run.pk
    transaction.on_commit(lambda: flow_run_start_task.delay(run_id=run_id), robust=True)


def _create_run(
    *, flow: Flow, user: Any, trigger: dict[str, Any], input: Any, dry_run: bool, actor: Actor | None
) -> FlowRun:
    version = flow.current_version
    if version is None:
        raise RuntimeError(f"flow {flow.pk} has no version")
    run = FlowRun.objects.create(
        bureau_id=flow.bureau_id,
        flow=flow,
        version=version,
        status=FlowRunStatus.QUEUED,
        trigger=trigger,
        input=input if isinstance(input, dict) else {},
        dry_run=dry_run,
        requested_by=user if getattr(user, "pk", None) else None,
        queued_at=timezone.now(),
    )
    NodeRun.objects.bulk_create(
        NodeRun(bureau_id=flow.bureau_id, run=run, node_id=node["id"], node_type=node["type"])
        for node in version.definition["nodes"]
    )
    audit_record(
        actor=actor,
        action="flow_run.create",
        target=run,
        bureau=flow.bureau,
        to_state=FlowRunStatus.QUEUED,
        extra={"version": version.number, "trigger": trigger.get("kind"), "dry_run": dry_run},
    )
    _enqueue_on_commit(run)
    return run


@transaction.atomic
def run_request(*, actor: Actor, flow: Flow, input: Any = None, dry_run: bool = False) -> FlowRun:
    """A person runs the flow's current version (manual trigger; ``dry_run``: outputs do not
    notify, create or publish). Raises PermissionDenied."""
    if not can_run_flow(actor, flow):
        raise PermissionDenied(_("Forecasters and experts of the flow's bureau run its flows."))
    return _create_run(
        flow=flow,
        user=actor.user,
        trigger={"kind": "manual", "by": actor.user.pk},
        input=input or {},
        dry_run=dry_run,
        actor=actor,
    )


@transaction.atomic
def run_request_for_trigger(*, flow: Flow, trigger: dict[str, Any]) -> FlowRun | None:
    """A trigger starts the flow (only while the bureau admin keeps its triggers enabled)."""
    flow = (
        Flow.objects.select_for_update(of=("self",))
        .select_related("current_version", "bureau")
        .get(pk=flow.pk)
    )
    if not flow.triggers_enabled or flow.current_version is None:
        return None
    return _create_run(flow=flow, user=None, trigger=trigger, input={}, dry_run=False, actor=None)


@transaction.atomic
def run_cancel(*, actor: Actor, run: FlowRun, comment: str = "") -> FlowRun:
    """Cancel a queued or running run: nodes not started yet are skipped."""
    run = transition(run, "cancel", actor, comment, workflow=RUN_WORKFLOW, finished_at=timezone.now())
    for node in selectors.node_runs_for_worker(run_id=run.pk).values():
        if node.status == NodeStatus.PENDING:
            transition(node, "skip", None, "run cancelled", workflow=NODE_WORKFLOW)
    return run


# --- executing --------------------------------------------------------------------------


def run_begin(*, run_id: int) -> list[list[str]] | None:
    """queued -> running; the node ids in topological layers to send (None: nothing to do)."""
    with transaction.atomic():
        run = _lock_run(None, run_id)
        if run.status != FlowRunStatus.QUEUED:
            return None
        transition(run, "start", None, workflow=RUN_WORKFLOW, started_at=timezone.now())
    return plan(run.version.definition)


def node_types_of(*, run_id: int) -> dict[str, str]:
    run = selectors.run_get_for_worker(run_id=run_id)
    return {n["id"]: n["type"] for n in run.version.definition["nodes"]} if run is not None else {}


def node_kind_of(*, run_id: int, node_id: str) -> Any:
    return node_type(node_types_of(run_id=run_id).get(node_id, ""))


def _definition_node(run: FlowRun, node_id: str) -> dict[str, Any]:
    return next(n for n in run.version.definition["nodes"] if n["id"] == node_id)


def _incoming(run: FlowRun, node_id: str) -> list[tuple[str, str, str]]:
    """(source node, source port, target port) of the edges into ``node_id``."""
    out = []
    for edge in run.version.definition["edges"]:
        target_node, target_port = edge["to"].split(".")
        if target_node == node_id:
            source_node, source_port = edge["from"].split(".")
            out.append((source_node, source_port, target_port))
    return out


def _downstream(run: FlowRun, node_id: str) -> set[str]:
    after: dict[str, set[str]] = {}
    for edge in run.version.definition["edges"]:
        after.setdefault(edge["from"].split(".")[0], set()).add(edge["to"].split(".")[0])
    found: set[str] = set()
    todo = [node_id]
    while todo:
        for nxt in after.get(todo.pop(), ()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def _stored_output(run: FlowRun, node: NodeRun) -> dict[str, Any]:
    output = node.output or {}
    if isinstance(output, dict) and set(output) == {"__file__"}:
        return json.loads((run_directory(run.bureau_id, run.pk) / output["__file__"]).read_text())
    return output


def stored_output(run: FlowRun, node: NodeRun) -> dict[str, Any]:
    """A node's output as it ran (read back from its file when it was large)."""
    return _stored_output(run, node)


def _hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _gather(run: FlowRun, node_id: str, kind: Any) -> tuple[dict[str, Any] | None, str]:
    """The node's inputs from its predecessors' outputs, or (None, why) when it is skipped."""
    nodes = selectors.node_runs_for_worker(run_id=run.pk)
    inputs: dict[str, Any] = {}
    incoming = _incoming(run, node_id)
    for source_node, source_port, target_port in incoming:
        source = nodes[source_node]
        if source.status != NodeStatus.SUCCEEDED:
            return None, f"{source_node} {source.status}"
        value = _stored_output(run, source).get(source_port)
        if value is not None:
            inputs[target_port] = value
    for port in kind.inputs:
        if port not in kind.optional_inputs and port not in inputs:
            return None, f"input {port} not produced"
    if incoming and not inputs:
        return None, "no input produced"
    return inputs, ""


def _store_output(run: FlowRun, node_id: str, output: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(output, default=str)
    if len(text) <= OUTPUT_INLINE_MAX:
        return json.loads(text)
    directory = run_directory(run.bureau_id, run.pk)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{node_id}.output.json"
    (directory / name).write_text(text)
    return {"__file__": name}


def _run_each(
    kind: Any, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """Run the node once per item of a for-each input (the others held constant)."""
    port = next((p for p, v in inputs.items() if isinstance(v, dict) and EACH in v), None)
    if port is None:
        return kind.run(context, inputs, params)
    items = inputs[port][EACH][:EACH_MAX]
    results: dict[str, list[Any]] = {}
    for item in items:
        one = kind.run(context, {**inputs, port: item}, params)
        for out_port in kind.outputs:
            results.setdefault(out_port, []).append(one.get(out_port))
    return {out_port: {EACH: values} for out_port, values in results.items()}


def node_execute(*, run_id: int, node_id: str, final_attempt: bool = True) -> str:
    """Execute one node of a run; returns its status. Raises TransientNodeError (and transient
    database errors) while retries remain, so the task retries."""
    run = selectors.run_get_for_worker(run_id=run_id)
    if run is None:
        return "gone"
    node = selectors.node_runs_for_worker(run_id=run_id).get(node_id)
    if node is None:
        return "gone"
    kind = node_type(node.node_type)
    spec = _definition_node(run, node_id)
    with transaction.atomic():
        node = _lock_node(None, node.pk)
        if node.status not in (NodeStatus.PENDING, NodeStatus.RUNNING):
            return node.status  # already done: a redelivered message changes nothing
        if run.status != FlowRunStatus.RUNNING:
            if node.status == NodeStatus.PENDING:
                transition(node, "skip", None, f"run {run.status}", workflow=NODE_WORKFLOW)
            return NodeStatus.SKIPPED
        if kind is None:
            _node_fail(run, node, _("The node type %(type)s no longer exists.") % {"type": node.node_type})
            return NodeStatus.FAILED
        inputs, why = _gather(run, node_id, kind)
        if inputs is None:
            if node.status == NodeStatus.PENDING:
                transition(node, "skip", None, why, workflow=NODE_WORKFLOW)
            return NodeStatus.SKIPPED
        node = transition(
            node,
            "start",
            None,
            workflow=NODE_WORKFLOW,
            prepare=lambda locked: {"attempts": locked.attempts + 1},
            started_at=timezone.now(),
        )
    context = NodeContext(
        bureau=run.bureau,
        reader=bureau_reader(run.bureau),
        run_id=run.pk,
        node_id=node_id,
        now=run.started_at or timezone.now(),
        trigger=run.trigger,
        input=run.input,
        dry_run=run.dry_run or False,
        directory=run_directory(run.bureau_id, run.pk),
        flow_name=run.flow.name,
        author_id=run.flow.author_id,
    )
    params = spec["params"]
    input_hash = _hash({"type": kind.type, "params": params, "inputs": inputs})
    started = time.perf_counter()
    try:
        output = _run_each(kind, context, inputs, params)
    except TransientNodeError as exc:
        if not final_attempt:
            raise
        return _node_fail(run, node, str(exc))
    except NodeError as exc:
        return _node_fail(run, node, str(exc))
    except Exception as exc:
        from celery.exceptions import SoftTimeLimitExceeded

        from products.services.execution import transient_errors

        if isinstance(exc, transient_errors()) and not final_attempt:
            raise
        if isinstance(exc, SoftTimeLimitExceeded):
            return _node_fail(
                run, node, _("The node took longer than %(s)d seconds.") % {"s": kind.time_limit}
            )
        logger.exception("flow run %s node %s failed", run.pk, node_id)
        return _node_fail(
            run,
            node,
            _("Internal error (%(kind)s); the run can be run again.") % {"kind": type(exc).__name__},
        )
    duration = round(time.perf_counter() - started, 3)
    input_hash = context.notes.get("input_hash", input_hash)
    with transaction.atomic():
        locked = _lock_node(None, node.pk)
        if locked.status != NodeStatus.RUNNING:
            return locked.status
        source = None
        if "input_hash" in context.notes:  # a computed result (a method): reuse is the product engine's
            source = selectors.node_run_computed(
                bureau_id=run.bureau_id, node_type=kind.type, input_hash=input_hash, exclude_id=node.pk
            )
        transition(
            locked,
            "reuse" if source is not None else "succeed",
            None,
            workflow=NODE_WORKFLOW,
            extra={k: v for k, v in context.notes.items() if isinstance(v, int | float | str | bool)},
            output=_store_output(run, node_id, output),
            input_hash=input_hash,
            duration_s=duration,
            reused_from=source,
            error="",
            finished_at=timezone.now(),
        )
    return NodeStatus.SUCCEEDED


def _node_fail(run: FlowRun, node: NodeRun, message: str) -> str:
    """The node failed: every node downstream of it is skipped at once (the run fails at its end)."""
    with transaction.atomic():
        transition(
            node, "fail", None, message, workflow=NODE_WORKFLOW, error=message, finished_at=timezone.now()
        )
        below = _downstream(run, node.node_id)
        for other in selectors.node_runs_for_worker(run_id=run.pk).values():
            if other.node_id in below and other.status == NodeStatus.PENDING:
                transition(other, "skip", None, f"{node.node_id} failed", workflow=NODE_WORKFLOW)
    return NodeStatus.FAILED


def node_fail_by_ids(*, run_id: int, node_id: str, message: str) -> None:
    """The task guard's last resort: fail a node left pending or running."""
    run = selectors.run_get_for_worker(run_id=run_id)
    node = selectors.node_runs_for_worker(run_id=run_id).get(node_id)
    if run is not None and node is not None and node.status in (NodeStatus.PENDING, NodeStatus.RUNNING):
        _node_fail(run, node, message)


def run_complete(*, run_id: int) -> FlowRun | None:
    """Set the run's final state from its nodes: failed if one failed, else succeeded."""
    with transaction.atomic():
        run = _lock_run(None, run_id)
        if run.status != FlowRunStatus.RUNNING:
            return run
        for node in selectors.node_runs_for_worker(run_id=run_id).values():
            if node.status in (NodeStatus.PENDING, NodeStatus.RUNNING):  # a lost task's node ends here
                message = _("The node's task ended without a result.")
                transition(node, "fail", None, message, workflow=NODE_WORKFLOW, error=message)
        nodes = selectors.node_runs_for_worker(run_id=run_id)
        failed = sorted(n.node_id for n in nodes.values() if n.status == NodeStatus.FAILED)
        now = timezone.now()
        if failed:
            error = _("Failed nodes: %(nodes)s.") % {"nodes": ", ".join(failed)}
            details = "; ".join(f"{n}: {nodes[n].error}" for n in failed if nodes[n].error)
            return transition(
                run,
                "fail",
                None,
                error,
                workflow=RUN_WORKFLOW,
                error=f"{error} {details}"[:4000],
                finished_at=now,
            )
        return transition(run, "succeed", None, workflow=RUN_WORKFLOW, finished_at=now)


def run_fail_by_id(*, run_id: int, message: str) -> None:
    with transaction.atomic():
        run = selectors.run_get_for_worker(run_id=run_id)
        if run is None or run.status in FINAL:
            return
        run = _lock_run(None, run_id)
        if run.status in FINAL:
            return
        transition(
            run, "fail", None, message, workflow=RUN_WORKFLOW, error=message, finished_at=timezone.now()
        )
        for node in selectors.node_runs_for_worker(run_id=run_id).values():
            if node.status == NodeStatus.PENDING:
                transition(node, "skip", None, message, workflow=NODE_WORKFLOW)
            elif node.status == NodeStatus.RUNNING:
                transition(node, "fail", None, message, workflow=NODE_WORKFLOW, error=message)


def run_execute_inline(*, run_id: int) -> FlowRun | None:
    """Execute a queued run here, node by node in topological order (the demo's seed, with no
    worker running); a worker that later receives its start message finds it done."""
    layers = run_begin(run_id=run_id)
    if layers is None:
        return selectors.run_get_for_worker(run_id=run_id)
    for layer in layers:
        for node_id in layer:
            node_execute(run_id=run_id, node_id=node_id, final_attempt=True)
    return run_complete(run_id=run_id)


def runs_sweep(now: datetime) -> list[int]:
    """The job watchdog's sweep: fail runs past the overall limit, or queued with a lost message."""
    from portal.jobs import MARGIN

    stale = selectors.runs_stale(
        started_before=now - timedelta(seconds=RUN_TIME_LIMIT) - MARGIN, queued_before=now - STALE_QUEUED
    )
    touched = []
    for run_id in stale.values_list("pk", flat=True):
        run_fail_by_id(
            run_id=run_id,
            message=_("The run did not finish within %(s)d seconds (or its start was lost).")
            % {"s": RUN_TIME_LIMIT},
        )
        touched.append(run_id)
    return touched
