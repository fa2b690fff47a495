"""The flow store (流程商店): publishing a flow version, screenshots, installing a copy into a
bureau, updating the copy from a newer version, ratings, and featuring.

* ``store_publish``: the flow's authors or its bureau admin publish the flow's current
  version (a copy of its definition, secrets blanked: a WeChat Work group bot's webhook
  never leaves the bureau). The first publication makes the entry; each later one with a
  changed definition adds a version and tells the bureaus that installed it (their copy's
  author and their bureau admins), who update with ``store_update_flow``.
* ``store_install``: a copy of the latest version in the installer's bureau (a new flow,
  triggers off until its bureau admin enables them), with the parameters the installer
  filled (``{"<node>.<param>": value}``); the parameters still to fill are reported back.
* ``store_rate``: 1-5 stars and a comment, one per person (a second replaces the first).
* ``store_feature``: a system admin features or unfeatures an entry.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from flows import selectors
from flows.models import Flow, StoreEntry, StoreInstall, StoreRating, StoreScreenshot, StoreVersion
from flows.permissions import (
    can_edit_flow,
    can_feature_entries,
    can_install_flows,
    can_manage_entry,
    can_publish_flow,
    can_rate_entry,
)
from flows.registry import node_type
from flows.validation import definition_clean
from portal import uploads
from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record, notify_user
from portal.validators import max_length_of, title_problem
from portal.workflow import register_labels

from .flows import _create, flow_update

if TYPE_CHECKING:
    from portal.tenancy import Actor

register_labels(
    {
        "flow_store.publish": gettext_lazy("published to the flow store"),
        "flow_store.install": gettext_lazy("installed from the flow store"),
        "flow_store.update": gettext_lazy("updated from the flow store"),
        "flow_store.feature": gettext_lazy("featured in the flow store"),
        "flow_store.unfeature": gettext_lazy("no longer featured in the flow store"),
    }
)

# Parameters that belong to the bureau, not to the method: always to fill on install.
BUREAU_PARAMS = ("channels", "webhook_url")
# Parameters that are secrets of the publishing bureau: blanked in the published copy.
SECRET_PARAMS = ("webhook_url",)
SCREENSHOT_MAX_BYTES = 5 * 2**20
SCREENSHOTS_MAX = 8
INPUTS_MAX = 30


def _node_facts(definition: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The node types of a definition and the disciplines of its method nodes."""
    types = sorted({n["type"] for n in definition["nodes"]})
    disciplines = set()
    for name in types:
        kind = node_type(name)
        method = getattr(kind, "method", None)  # a method node wraps a product method
        if method is not None:
            disciplines.add(method.discipline)
    return types, sorted(disciplines)


def _clean_inputs(definition: dict[str, Any], inputs: Any) -> list[dict[str, str]]:
    """The publisher's inputs to fill, checked against the definition, plus every
    bureau-specific parameter (channels, a group bot's webhook) the flow has."""
    nodes = {n["id"]: n for n in definition["nodes"]}
    out: dict[str, dict[str, str]] = {}
    if not isinstance(inputs, list) or len(inputs) > INPUTS_MAX:
        raise InvalidInput(_("At most %(n)d inputs to fill.") % {"n": INPUTS_MAX}, field="inputs")
    for index, item in enumerate(inputs):
        node_id, param = item.get("node"), item.get("param")
        node = nodes.get(node_id)
        kind = node_type(node["type"]) if node else None
        if kind is None:
            raise InvalidInput(
                _("The flow has no node %(node)s.") % {"node": node_id}, field=f"inputs.{index}"
            )
        if param not in kind.params_schema.get("properties", {}):
            raise InvalidInput(
                _("The node %(node)s has no parameter %(param)s.") % {"node": node_id, "param": param},
                field=f"inputs.{index}",
            )
        label = str(item.get("label") or "").strip()[:120]
        out[f"{node_id}.{param}"] = {"node": node_id, "param": param, "label": label}
    for node in definition["nodes"]:
        for param in BUREAU_PARAMS:
            if node["params"].get(param):  # a wechat channel's webhook, a series' channels
                out.setdefault(f"{node['id']}.{param}", {"node": node["id"], "param": param, "label": ""})
    return list(out.values())


def _published_copy(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition as the store shows it: secrets of the publishing bureau blanked."""
    clean = copy.deepcopy(definition)
    for node in clean["nodes"]:
        for param in SECRET_PARAMS:
            if node["params"].get(param):
                node["params"][param] = ""
    return clean


def _tell_installers(entry: StoreEntry, version: StoreVersion) -> int:
    """A new version: each installing bureau's copy's author and its bureau admins are told."""
    told = 0
    for install in selectors.store_installs_of_entry(entry_id=entry.pk):
        people = {u.pk: u for u in bureau_role_holders(bureau=install.bureau_id, roles=[Role.BUREAU_ADMIN])}
        author = install.flow.author
        if author is not None and author.is_active:
            people[author.pk] = author
        for person in people.values():
            notify_user(
                user=person,
                title=_("A new version of %(title)s is in the flow store (v%(n)d)")
                % {"title": entry.title, "n": version.number},
                body=version.note,
                url=install.flow.get_absolute_url(),
                kind="flows.store_version",
                bureau=install.bureau,
            )
            told += 1
    return told


@transaction.atomic
def store_publish(
    *,
    actor: Actor,
    flow: Flow,
    title: str = "",
    description_zh: str = "",
    description_en: str = "",
    inputs: Any = None,
    inputs_note: str = "",
    note: str = "",
) -> tuple[StoreEntry, bool]:
    """Publish the flow's current version; returns (entry, whether a new version was made).
    The same definition published again changes only the entry's words."""
    if not can_publish_flow(actor, flow):
        raise PermissionDenied(_("The flow's authors or its bureau admin publish it to the store."))
    flow = Flow.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=flow.pk)
    if flow.current_version is None:
        raise InvalidInput(_("The flow has no version to publish."), field="definition")
    title = str(title or flow.name).strip()
    problem = title_problem(title, max_length=max_length_of(StoreEntry, "title"))
    if problem is not None:
        raise InvalidInput(problem, field="title")
    definition = flow.current_version.definition
    entry = StoreEntry.objects.select_for_update().filter(source_flow=flow).first()
    if inputs is None and entry is not None:  # not given again: the entry's, where they still apply
        nodes = {n["id"]: n for n in definition["nodes"]}
        inputs = [i for i in entry.inputs if i["param"] in nodes.get(i["node"], {}).get("params", {})]
    to_fill = _clean_inputs(definition, inputs or [])
    published = _published_copy(definition)
    types, disciplines = _node_facts(published)
    words = {
        "title": title,
        "description_zh": str(description_zh or "")[:8000],
        "description_en": str(description_en or "")[:8000],
        "inputs": to_fill,
        "inputs_note": str(inputs_note or "")[:4000],
        "node_types": types,
        "disciplines": disciplines,
    }
    user = actor.user if actor.user.is_authenticated else None
    if entry is None:
        entry = StoreEntry.objects.create(
            bureau_id=flow.bureau_id, source_flow=flow, published_by=user, **words
        )
    else:
        for key, value in words.items():
            setattr(entry, key, value)
        entry.save(update_fields=[*words, "updated_at"])
    latest = selectors.store_version_latest(entry=entry)
    if latest is not None and latest.definition == published:
        return entry, False
    version = StoreVersion.objects.create(
        entry=entry,
        number=(latest.number + 1) if latest else 1,
        definition=published,
        note=str(note or "")[:200],
        published_by=user,
    )
    audit_record(
        actor=actor,
        action="flow_store.publish",
        target=flow,
        comment=note,
        extra={"entry": entry.pk, "version": version.number, "flow_version": flow.current_version.number},
    )
    if latest is not None:
        _tell_installers(entry, version)
    return entry, True


@transaction.atomic
def store_screenshot_add(
    *, actor: Actor, entry: StoreEntry, upload: Any, caption: str = ""
) -> StoreScreenshot:
    """Add a picture of the flow's output (PNG, JPEG, GIF or WebP, checked by content)."""
    if not can_manage_entry(actor, entry):
        raise PermissionDenied(_("The publishing bureau's authors and admin add its screenshots."))
    if selectors.store_screenshots(entry=entry).count() >= SCREENSHOTS_MAX:
        raise InvalidInput(_("At most %(n)d screenshots per flow.") % {"n": SCREENSHOTS_MAX}, field="file")
    checked = uploads.check_upload(
        upload, allowed=uploads.IMAGES, field="file", max_bytes=SCREENSHOT_MAX_BYTES
    )
    name = uploads.store(checked, kind="flow-store", bureau_id=int(entry.bureau_id or 0))
    return StoreScreenshot.objects.create(
        entry=entry, file=name, display_name=checked.display_name, caption=str(caption or "")[:200]
    )


def _key_value(filled: Any) -> dict[str, Any]:
    if filled is None:
        return {}
    if not isinstance(filled, dict):
        raise InvalidInput(_('Give the parameters as {"<node>.<parameter>": value}.'), field="params")
    return filled


def _apply(
    definition: dict[str, Any], to_fill: list[dict[str, str]], filled: dict[str, Any]
) -> dict[str, Any]:
    """The definition with the filled parameters put in (only parameters the entry asks for)."""
    allowed = {f"{i['node']}.{i['param']}" for i in to_fill}
    out = copy.deepcopy(definition)
    nodes = {n["id"]: n for n in out["nodes"]}
    for key, value in filled.items():
        if key not in allowed:
            raise InvalidInput(
                _("%(key)s is not a parameter this flow asks for.") % {"key": key}, field=f"params.{key}"
            )
        node_id, param = key.split(".", 1)
        nodes[node_id]["params"][param] = value
    return out


def to_fill_report(entry: StoreEntry, filled: dict[str, Any]) -> list[dict[str, Any]]:
    """The entry's inputs to fill, each with whether the bureau filled it."""
    return [{**item, "filled": f"{item['node']}.{item['param']}" in filled} for item in entry.inputs]


@transaction.atomic
def store_install(
    *, actor: Actor, entry: StoreEntry, name: str = "", params: Any = None
) -> tuple[StoreInstall, list[dict[str, Any]]]:
    """Copy the entry's latest version into the actor's bureau as a new flow (triggers off
    until its bureau admin enables them). Returns the install and the inputs to fill, each
    marked filled or not. Raises PermissionDenied, InvalidInput (name, params, or the bureau
    already installed it), FlowInvalid (a parameter that must be filled is missing)."""
    if not can_install_flows(actor) or actor.bureau is None:
        raise PermissionDenied(_("Forecasters, experts and the bureau admin install flows into a bureau."))
    existing = selectors.store_install_in_bureau(actor=actor, entry=entry)
    if existing is not None:
        raise InvalidInput(
            _("Your bureau already installed this flow as %(name)s.") % {"name": existing.flow.name},
            field="entry",
        )
    version = selectors.store_version_latest(entry=entry)
    if version is None:
        raise InvalidInput(_("The entry has no published version."), field="entry")
    filled = _key_value(params)
    definition = definition_clean(_apply(version.definition, entry.inputs, filled))
    user = actor.user if actor.user.is_authenticated else None
    flow = _create(
        bureau=actor.bureau,
        user=user,
        name=name or entry.title,
        definition=definition,
        description=entry.description(),
        comment=_("installed from the flow store (v%(n)d)") % {"n": version.number},
        actor=actor,
    )
    try:
        with transaction.atomic():
            install = StoreInstall.objects.create(
                bureau=actor.bureau, entry=entry, flow=flow, version=version, filled=filled, installed_by=user
            )
    except IntegrityError:  # two people of the bureau installing at once
        raise InvalidInput(_("Your bureau already installed this flow."), field="entry") from None
    audit_record(
        actor=actor,
        action="flow_store.install",
        target=flow,
        extra={"entry": entry.pk, "version": version.number, "filled": sorted(filled)},
    )
    return install, to_fill_report(entry, filled)


@transaction.atomic
def store_update_flow(*, actor: Actor, flow: Flow, params: Any = None) -> tuple[Flow, bool]:
    """Make a new version of an installed copy from the entry's latest version, keeping the
    parameters the bureau filled (and any given now). Returns (flow, whether it changed)."""
    if not can_edit_flow(actor, flow):
        raise PermissionDenied(_("Forecasters and experts of the flow's bureau change its flows."))
    install = selectors.store_install_of_flow(actor=actor, flow=flow)
    if install is None:
        raise InvalidInput(_("This flow was not installed from the flow store."), field="flow")
    install = StoreInstall.objects.select_for_update().get(pk=install.pk)
    entry = install.entry
    latest = selectors.store_version_latest(entry=entry)
    asked = {f"{i['node']}.{i['param']}" for i in entry.inputs}
    kept = {key: value for key, value in install.filled.items() if key in asked}
    filled = {**kept, **_key_value(params)}
    if latest is None or (latest.pk == install.version_id and not params):
        return flow, False
    definition = _apply(latest.definition, entry.inputs, filled)
    flow = flow_update(
        actor=actor,
        flow=flow,
        definition=definition,
        comment=_("updated from the flow store (v%(n)d)") % {"n": latest.number},
    )
    install.version = latest
    install.filled = filled
    install.save(update_fields=["version", "filled", "updated_at"])
    audit_record(
        actor=actor,
        action="flow_store.update",
        target=flow,
        extra={"entry": entry.pk, "version": latest.number},
    )
    return flow, True


@transaction.atomic
def store_rate(*, actor: Actor, entry: StoreEntry, stars: int, comment: str = "") -> tuple[StoreRating, bool]:
    """One person's 1-5 stars and comment (a second rating replaces the first)."""
    if not can_rate_entry(actor, entry) or actor.bureau is None:
        raise PermissionDenied(_("People of other bureaus rate a flow; a bureau does not rate its own."))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise InvalidInput(_("Stars are a whole number from 1 to 5."), field="stars")
    rating, created = StoreRating.objects.update_or_create(
        entry=entry,
        user=actor.user,
        defaults={"stars": stars, "comment": str(comment or "")[:2000], "bureau": actor.bureau},
    )
    return rating, created


@transaction.atomic
def store_feature(*, actor: Actor, entry: StoreEntry, featured: bool) -> StoreEntry:
    """A system admin features an entry (shown first) or stops featuring it (audited)."""
    if not can_feature_entries(actor):
        raise PermissionDenied(_("Only a system admin features flows."))
    entry = StoreEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.featured != bool(featured):
        entry.featured = bool(featured)
        entry.save(update_fields=["featured", "updated_at"])
        audit_record(
            actor=actor,
            action="flow_store.feature" if featured else "flow_store.unfeature",
            target=entry,
            bureau=entry.bureau,
        )
    return entry
