"""One workflow engine: every state machine of the portal is a ``Workflow`` (data) moved by
``transition()`` (the one function that writes a state field).

A workflow lists its transitions, ``action -> (from states, to state, who may, who is told
next)``. ``transition(obj, action, actor, comment, **changes)`` then always does the same, in
the same order:

1. lock the row (``select_for_update``, through the workflow's own ``lock`` so tenancy
   decides what the actor may reach: not theirs is 404);
2. check the permission first: ``PermissionDenied`` (403) whatever the state, so someone
   without the right learns no more than that;
3. check the state: ``InvalidTransition`` (409) naming the current state and the action
   in words;
4. run the transition's own preparation (validation of the input against the locked row,
   stamps), apply ``changes`` and save with ``update_fields`` (state + stamps + changes);
5. write the ``AuditEvent`` with from and to state and the comment;
6. tell whoever must act next (``notify_user``: stored with the change, pushed live on
   commit) and broadcast the new state to open pages on commit.

Refused moves raise before anything is written, so the row, the audit trail and the
notifications stay as they were.

Why not django-fsm-2 or viewflow: django-fsm-2's ``@transition`` puts each move on a model
method and guards only the source state; locking, the 403-before-409 order, the audit row,
the hand-off notifications and the broadcast would all still be ours, around every call,
and its per-method declarations scatter the table this module keeps as data (and which the
tests and the pages read: allowed actions, button and history labels). viewflow's flows
bring their own process/task models, views and permissions, a second way of doing what the
services already do. Neither removes more than the ~15 lines of table lookups; both add a
dependency and a second place where state changes. So the engine is these lines.

System moves (a Celery worker, the job watchdog, a beat job) pass ``actor=None``; their
transitions' permission is ``by_the_system`` (no person may make them, a person is 403).
Sweeps that move many rows (fail every abandoned job) use ``transition_each``: one
transaction per row, each row moved through ``transition()`` (audited, told), rows that
moved on since they were listed left alone.

The action labels registry (``label(action)``) gives the words history shows for an audit
action ("提交审核" rather than ``report.submit``); every workflow registers its actions,
and apps may register the labels of their other audited acts with ``register_labels``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from .exceptions import InvalidTransition, NotFound, PermissionDenied
from .models import Notification
from .services import audit_record, broadcast_on_commit, notify_user

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from .models import AuditEvent, Bureau, User
    from .tenancy import Actor

Permission = Callable[["Actor | None", Any], bool]


@dataclass(frozen=True)
class Handoff:
    """One message to the people who must act next (or who must know the outcome)."""

    users: Iterable[User]
    title: str
    body: str = ""
    level: str = Notification.Level.INFO
    kind: str = ""  # defaults to the workflow's name


Notify = Callable[[Any, "Actor | None", str], Iterable[Handoff]]
Live = tuple[str, dict[str, Any]]
Prepare = Callable[[Any], "Mapping[str, Any] | None"]


@dataclass(frozen=True)
class Transition:
    """``sources -> target`` when ``permission(actor, obj)``; ``notify`` says who is told."""

    sources: frozenset[str]
    target: str
    permission: Permission
    label: Promise | str  # what happened, for history and messages ("assigned for verification")
    button: Promise | str = ""  # what the button says ("Assign")
    notify: Notify | None = None
    audit_action: str = ""  # defaults to "<workflow>.<action>"


@dataclass
class Workflow:
    """The state machine of one model: its transitions, and how its rows are locked,
    linked and broadcast."""

    name: str  # prefix of the audit actions: "anomaly" -> "anomaly.assign"
    model: type[models.Model]
    transitions: dict[str, Transition]
    lock: Callable[[Actor | None, Any], Any]  # pk or instance -> the row, locked; NotFound if unreachable
    noun: Promise | str  # "anomaly", in the reader's language
    state_field: str = "state"
    url: Callable[[Any], str] | None = None  # the page that opens the work
    # (group, event), or several of them (a page of the row and a list page), broadcast on commit
    live: Callable[[Any, str], Live | list[Live] | None] | None = None
    bureau: Callable[[Any], Bureau | None] = field(default=lambda obj: getattr(obj, "bureau", None))

    def _state_choices(self) -> list[tuple[Any, Any]]:
        state = self.model._meta.get_field(self.state_field)
        if not isinstance(state, models.Field):  # a relation has no choices of states
            raise TypeError(f"{self.name}: {self.state_field} is not a column")
        return list(state.choices or [])

    def __post_init__(self) -> None:
        known = {value for value, _label in self._state_choices()}
        for action, step in self.transitions.items():
            unknown = (set(step.sources) | {step.target}) - known
            if unknown:  # a typo in the table fails at import, not in front of a person
                raise ValueError(f"{self.name}.{action}: unknown states {sorted(unknown)}")

    def audit_action(self, action: str) -> str:
        return self.transitions[action].audit_action or f"{self.name}.{action}"

    def state_of(self, obj: Any) -> str:
        return str(getattr(obj, self.state_field))

    def state_label(self, value: str) -> str:
        choices = dict(self._state_choices())
        return str(choices.get(value, value))

    def allowed_actions(self, actor: Actor | None, obj: Any) -> list[str]:
        """The transitions ``actor`` may make now (for pages: which buttons to show)."""
        state = self.state_of(obj)
        return [
            action
            for action, step in self.transitions.items()
            if state in step.sources and step.permission(actor, obj)
        ]

    def check_permission(self, actor: Actor | None, obj: Any, action: str) -> Transition:
        """The permission alone (403): for a service that answers some states without moving
        (an idempotent request) but must refuse a person without the right first."""
        step = self.transitions[action]
        if not step.permission(actor, obj):
            raise PermissionDenied(_("You may not do this: %(action)s.") % {"action": step.label})
        return step

    def check(self, actor: Actor | None, obj: Any, action: str) -> Transition:
        """Permission, then state, on an already locked row; raises 403 or 409."""
        step = self.check_permission(actor, obj, action)
        state = self.state_of(obj)
        if state not in step.sources:
            raise InvalidTransition(
                _("This %(noun)s is %(state)s; it cannot be %(action)s (only from: %(allowed)s).")
                % {
                    "noun": self.noun,
                    "state": self.state_label(state),
                    "action": step.label,
                    "allowed": ", ".join(self.state_label(s) for s in sorted(step.sources)),
                },
                field=self.state_field,
            )
        return step


def by_the_system(actor: Actor | None, obj: Any) -> bool:
    """The permission of a system move (worker, watchdog, beat job): no person makes it."""
    return actor is None


def job_steps(
    *,
    queued: str,
    running: str,
    done: str,
    failed: str,
    labels: tuple[Promise | str, Promise | str, Promise | str],
    notify: Notify | None = None,
    notify_done: bool = True,
    restart: bool = False,
) -> dict[str, Transition]:
    """The three system moves of a background job: ``start`` (queued → running), ``finish``
    (running → done) and ``fail`` (queued or running → failed), with their ``labels`` in that
    order. ``notify`` tells whoever waits on the outcome (on ``finish`` too unless
    ``notify_done`` is off); ``restart`` lets a running job start again (its worker died
    mid-task and the task runs it anew)."""
    started, finished, failed_label = labels
    return {
        "start": Transition(
            frozenset({queued, running} if restart else {queued}), running, by_the_system, started
        ),
        "finish": Transition(
            frozenset({running}), done, by_the_system, finished, notify=notify if notify_done else None
        ),
        "fail": Transition(frozenset({queued, running}), failed, by_the_system, failed_label, notify=notify),
    }


def job_fail(workflow: Workflow, pk: Any, message: str, **fields: Any) -> Any:
    """The last resort of a job's task guard and of the watchdog (``portal.jobs``): the job's
    row, locked through ``workflow.lock``, moved to failed with ``message`` (audited, its people
    told by the ``fail`` step's notify) and ``fields`` stored beside the state. A job already
    ended is left alone and returned as it is; a job that is gone is None."""
    with transaction.atomic():
        try:
            job = workflow.lock(None, pk)
        except NotFound:
            return None
        if getattr(job, workflow.state_field) not in workflow.transitions["fail"].sources:
            return job
        return transition(job, "fail", None, message, workflow=workflow, **fields)


def row_lock(model: type[models.Model], *related: str) -> Callable[[Actor | None, Any], Any]:
    """The ``lock`` of a workflow whose callers already fetched the row through a selector
    (tenancy decided there) or hold its id as the system: the row by pk (an instance or a pk),
    ``select_for_update`` of that row only, ``related`` read along; gone is ``NotFound``.
    A workflow whose lock must itself apply tenancy writes its own (anomalies: ``editable_by``).
    """

    def lock(actor: Actor | None, obj: Any) -> Any:
        rows = model._default_manager.select_for_update(of=("self",))
        if related:
            rows = rows.select_related(*related)
        locked = rows.filter(pk=getattr(obj, "pk", obj)).first()
        if locked is None:
            raise NotFound()
        return locked

    return lock


_WORKFLOWS: dict[str, Workflow] = {}
_LABELS: dict[str, Promise | str] = {}


def register(workflow: Workflow) -> Workflow:
    """Make ``workflow`` the one of its model (history pages find its states and labels)."""
    _WORKFLOWS[workflow.model._meta.label_lower] = workflow
    register_labels({workflow.audit_action(a): t.label for a, t in workflow.transitions.items()})
    return workflow


def register_labels(labels: Mapping[str, Promise | str]) -> None:
    """Words for audit actions that are not transitions (``"anomaly.attach": "files added"``)."""
    _LABELS.update(labels)


def label(action: str) -> str:
    """The audit action in the reader's language; an unknown action shows as it is."""
    return str(_LABELS.get(action, action))


def workflow_for(target: models.Model | str) -> Workflow | None:
    """The workflow of a model instance or ``app_label.model`` label, if it has one."""
    key = target if isinstance(target, str) else target._meta.label_lower
    return _WORKFLOWS.get(key)


def state_label(event: AuditEvent, value: str) -> str:
    """A state of an audit row's target, in words."""
    workflow = workflow_for(event.target_type)
    return workflow.state_label(value) if workflow and value else value


@transaction.atomic
def transition(
    obj: Any,
    action: str,
    actor: Actor | None,
    comment: str = "",
    *,
    workflow: Workflow | None = None,
    prepare: Prepare | None = None,
    extra: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
    **changes: Any,
) -> Any:
    """Move ``obj`` (an instance or a pk) by ``action`` and return the saved, locked row.

    ``prepare(locked)`` runs after the checks, under the lock: it validates what depends on
    the row (raising ``InvalidInput``) and returns further changes (stamps). ``changes`` are
    field values set as they are. Raises ``NotFound`` (from the lock), ``PermissionDenied``
    (403) before ``InvalidTransition`` (409); a refused move changes nothing.
    """
    if workflow is None:
        model_workflow = workflow_for(obj) if isinstance(obj, models.Model) else None
        if model_workflow is None:
            raise TypeError("transition() needs workflow= for an object without a registered workflow")
        workflow = model_workflow
    locked = workflow.lock(actor, obj)
    step = workflow.check(actor, locked, action)
    if prepare is not None:
        changes = {**changes, **(prepare(locked) or {})}
    from_state = workflow.state_of(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    setattr(locked, workflow.state_field, step.target)
    fields = [workflow.state_field, *changes]
    if any(f.name == "updated_at" for f in workflow.model._meta.concrete_fields):
        fields.append("updated_at")
    locked.save(update_fields=list(dict.fromkeys(fields)))
    audit_record(
        actor=actor,
        action=workflow.audit_action(action),
        target=locked,
        from_state=from_state,
        to_state=step.target,
        comment=comment,
        extra=dict(extra(locked) if callable(extra) else (extra or {})),
    )
    if step.notify is not None:
        for handoff in step.notify(locked, actor, comment):
            _tell(workflow, locked, handoff)
    if workflow.live is not None:
        live = workflow.live(locked, action)
        for group, event in [live] if isinstance(live, tuple) else live or []:
            broadcast_on_commit(group, event)
    return locked


def transition_each(
    ids: Iterable[int],
    action: str,
    comment: str = "",
    *,
    workflow: Workflow,
    when: Callable[[Any], bool] | None = None,
    **kwargs: Any,
) -> list[int]:
    """The bulk entry point of system sweeps: move each row of ``ids`` by ``action`` (actor:
    the system), each in its own transaction, and return the ids moved.

    Not a queryset ``update()``: every row gets its audit row, its hand-offs and its
    broadcast like any move (``kwargs`` go to ``transition``: ``extra``, ``prepare``,
    field changes). A row that is no longer in a source state (a worker finished it since
    it was listed), gone, or for which ``when(locked)`` is false is left alone, not an
    error; one row's transaction failing leaves the rows moved before it moved.
    """
    moved: list[int] = []
    sources = workflow.transitions[action].sources
    for pk in ids:
        with transaction.atomic():
            try:
                locked = workflow.lock(None, pk)
            except NotFound:  # deleted since it was listed
                continue
            if workflow.state_of(locked) not in sources or (when is not None and not when(locked)):
                continue
            transition(locked, action, None, comment, workflow=workflow, **kwargs)
            moved.append(pk)
    return moved


def tell(workflow: Workflow, obj: Any, handoffs: Iterable[Handoff]) -> None:
    """Deliver hand-offs outside a transition (a reminder by the beat job)."""
    for handoff in handoffs:
        _tell(workflow, obj, handoff)


def _tell(workflow: Workflow, obj: Any, handoff: Handoff) -> None:
    url = workflow.url(obj) if workflow.url else ""
    seen: set[int] = set()
    for user in handoff.users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        # stored in the transition's transaction; notify_user pushes it live on commit
        notify_user(
            user=user,
            title=handoff.title,
            body=handoff.body,
            url=url,
            level=handoff.level,
            kind=handoff.kind or workflow.name,
            bureau=workflow.bureau(obj),
        )
