"""Creating flows, saving versions (each save a new immutable version), and switching a
flow's triggers (a bureau admin's audited act)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from flows import selectors
from flows.models import Flow, FlowVersion
from flows.permissions import can_author_flows, can_edit_flow, can_set_triggers
from flows.validation import definition_clean, definition_diff
from portal.exceptions import InvalidInput, PermissionDenied
from portal.services import audit_record
from portal.validators import max_length_of, title_problem
from portal.workflow import register_labels

if TYPE_CHECKING:
    from portal.models import Bureau, User
    from portal.tenancy import Actor

register_labels(
    {
        "flow.create": gettext_lazy("flow created"),
        "flow.version": gettext_lazy("new version saved"),
        "flow.triggers_on": gettext_lazy("triggers enabled"),
        "flow.triggers_off": gettext_lazy("triggers disabled"),
    }
)


def _clean_name(bureau_id: int, name: Any, *, exclude_id: int | None = None) -> str:
    name = str(name or "").strip()
    if not name:
        raise InvalidInput(_("A flow needs a name."), field="name")
    problem = title_problem(name, max_length=max_length_of(Flow, "name"))
    if problem is not None:
        raise InvalidInput(problem, field="name")
    if selectors.flow_name_taken(bureau_id=bureau_id, name=name, exclude_id=exclude_id):
        raise InvalidInput(_("The bureau already has a flow of this name."), field="name")
    return name


def _add_version(flow: Flow, definition: dict[str, Any], user: User | None, comment: str) -> FlowVersion:
    last = flow.current_version
    version = FlowVersion.objects.create(
        bureau_id=flow.bureau_id,
        flow=flow,
        number=(last.number + 1) if last else 1,
        definition=definition,
        author=user,
        comment=str(comment or "")[:200],
    )
    flow.current_version = version
    flow.save(update_fields=["current_version", "updated_at"])
    return version


@transaction.atomic
def flow_create(
    *, actor: Actor, name: Any, definition: Any, description: str = "", comment: str = ""
) -> Flow:
    """A new flow of the actor's bureau with its first version. Raises PermissionDenied,
    InvalidInput (the name), FlowInvalid (the definition, naming each node or edge)."""
    if not can_author_flows(actor) or actor.bureau is None:
        raise PermissionDenied(_("Forecasters and experts of a bureau compose its flows."))
    return _create(
        bureau=actor.bureau,
        user=actor.user if actor.user.is_authenticated else None,
        name=name,
        definition=definition,
        description=description,
        comment=comment,
        actor=actor,
    )


def _create(
    *,
    bureau: Bureau,
    user: User | None,
    name: Any,
    definition: Any,
    description: str,
    comment: str,
    actor: Actor | None,
) -> Flow:
    clean_name = _clean_name(bureau.pk, name)
    clean = definition_clean(definition)
    flow = Flow.objects.create(
        bureau=bureau, name=clean_name, description=str(description or "")[:4000], author=user
    )
    _add_version(flow, clean, user, comment)
    audit_record(actor=actor, action="flow.create", target=flow, bureau=bureau)
    return flow


@transaction.atomic
def flow_update(
    *,
    actor: Actor,
    flow: Flow,
    definition: Any,
    name: Any = None,
    description: str | None = None,
    comment: str = "",
) -> Flow:
    """Save a new version of ``flow`` (and its name or description if given). A version equal
    to the current one is not stored again."""
    if not can_edit_flow(actor, flow):
        raise PermissionDenied(_("Forecasters and experts of the flow's bureau change its flows."))
    flow = Flow.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=flow.pk)
    clean = definition_clean(definition)
    fields = []
    if name is not None and str(name).strip() != flow.name:
        flow.name = _clean_name(flow.bureau_id, name, exclude_id=flow.pk)
        fields.append("name")
    if description is not None and description != flow.description:
        flow.description = str(description)[:4000]
        fields.append("description")
    if fields:
        flow.save(update_fields=[*fields, "updated_at"])
    current = flow.current_version
    if current is None or current.definition != clean:
        diff = definition_diff(current.definition if current else None, clean)
        version = _add_version(flow, clean, actor.user if actor.user.is_authenticated else None, comment)
        audit_record(
            actor=actor,
            action="flow.version",
            target=flow,
            comment=comment,
            extra={"version": version.number, "diff": diff},
        )
        from .triggers import schedule_sync

        schedule_sync(flow)
    return flow


@transaction.atomic
def flow_set_triggers(*, actor: Actor, flow: Flow, enabled: bool, comment: str = "") -> Flow:
    """Let the flow's triggers start runs, or stop them (a bureau admin; audited)."""
    if not can_set_triggers(actor, flow):
        raise PermissionDenied(_("Only a bureau admin of the flow's bureau enables its triggers."))
    flow = Flow.objects.select_for_update().get(pk=flow.pk)
    if flow.triggers_enabled != bool(enabled):
        flow.triggers_enabled = bool(enabled)
        flow.save(update_fields=["triggers_enabled", "updated_at"])
        audit_record(
            actor=actor,
            action="flow.triggers_on" if enabled else "flow.triggers_off",
            target=flow,
            comment=comment,
        )
    from .triggers import schedule_sync

    schedule_sync(flow)
    return flow


def flow_create_for_bureau(
    *, bureau: Bureau, user: User | None, name: str, definition: Any, description: str = ""
) -> Flow:
    """A flow the system sets up for a bureau (the demo)."""
    return _create(
        bureau=bureau,
        user=user,
        name=name,
        definition=definition,
        description=description,
        comment="",
        actor=None,
    )


@transaction.atomic
def flow_set_triggers_as_system(*, flow: Flow, enabled: bool, comment: str = "") -> Flow:
    """The system switches a flow's triggers (the demo's seed, standing in for the bureau admin)."""
    flow = Flow.objects.select_for_update(of=("self",)).get(pk=flow.pk)
    if flow.triggers_enabled != bool(enabled):
        flow.triggers_enabled = bool(enabled)
        flow.save(update_fields=["triggers_enabled", "updated_at"])
        audit_record(
            actor=None,
            action="flow.triggers_on" if enabled else "flow.triggers_off",
            target=flow,
            comment=comment,
        )
    from .triggers import schedule_sync

    schedule_sync(flow)
    return flow
