"""The layering rules of docs/DEVELOPING.md ("Rules"), held on the syntax tree.

The checks read each module's AST (``ast``), so a manager split over two lines, an alias,
``setattr`` or ``**{"status": ...}`` is the same node as the plain spelling. Each rule is a
function ``check_*(path, source) -> list[Violation]``; the meta-tests at the bottom feed them
the tricks a text search missed and assert each is caught.

1. **Interfaces do not touch a model manager.** Interface code (modules named ``views``,
   ``apis``, ``api``, ``consumers``, ``tasks``, ``panels``, ``forms``, ``admin``,
   ``permissions``, ``fdsn``, ``dashboard``, ``serializers``, ``*_views`` ..., anything in a
   ``views/`` or ``apis/`` package, and, wherever it sits, a class deriving from a view, API,
   consumer, form, serializer or admin base, a function taking ``request`` or a Celery task)
   reads through ``selectors.py`` and writes through ``services.py``: no ``.objects``,
   ``._default_manager``, ``._base_manager``, ``.all_objects``, ``getattr(M, "objects")``,
   ``get_object_or_404`` / ``get_list_or_404``.
2. **State fields are written only by the workflow engine** (``portal/workflow.py``):
   ``status``, ``state`` and every registered workflow's ``state_field``. Forbidden elsewhere:
   ``x.status = ...`` (``self`` included), ``setattr(x, "status", ...)`` (also with the
   name from a constant or a loop over one: ``for name in FIELDS: setattr(x, name, ...)``),
   ``.update(status=...)`` / ``.update(**{"status": ...})``, ``update_or_create(defaults=
   {"status": ...})``, ``bulk_update(rows, ["status"])``, ``save(update_fields=["status"])``.
   Creating a row in a state (``create(status=...)``, ``Model(status=...)``,
   ``bulk_create``, ``create_defaults``) is allowed: a row that did not exist makes no move.
3. **Tenant-owned models are read through tenancy.** In selectors, a query on a
   ``TenantOwned`` model's manager starts with ``.visible_to(actor)`` or
   ``.editable_by(actor)``, unless the function is marked ``@system_read("why")``
   (``portal.tenancy``): the explicit, documented reads for workers, watchdogs and children
   of a row the caller already holds. Anywhere outside ``portal/tenancy.py`` and the models,
   ``PUBLISHED_Q`` / ``PUBLIC_Q`` / ``shared_q`` (visibility rewritten by hand) are not used.
   Elsewhere (services, hooks, builders) a tenant query starts with ``visible_to`` /
   ``editable_by``, a lock (``select_for_update``) or a creation, or is narrowed by a value
   the code holds (``pk=run_id``, ``meeting=meeting``): a scan of every bureau is a
   ``@system_read`` selector. Models (where ``shared_q`` lives), seed data (``demo.py``)
   and management commands are exempt;
   rule 1 keeps interfaces off managers altogether.
4. **Imports go only downward.** ``LAYERS`` below is the one order of the apps; an app
   imports only apps of lower layers (top-level, function-level and ``TYPE_CHECKING``
   imports alike: each is a dependency). Inside an app, nothing below the interfaces
   imports an interface module, except a write-side module (not models or selectors)
   enqueuing its own app's tasks;
   models and selectors import no services (reads do not depend on writes).
   No ``importlib.import_module`` / ``__import__`` and no ``try: import ... except
   ImportError`` of a project app (the plugin loaders in ``PLUGIN_LOADERS`` excepted).

``KNOWN_*`` lists name the exemptions, each with its reason; they only shrink
(``test_known_lists_only_shrink``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent

# The one order of the project's apps, bottom first. An app imports only apps of a lower
# layer; apps of one layer do not import each other.
LAYERS: list[set[str]] = [
    {"portal"},
    {"printing"},
    {"catalog"},
    {"observations"},
    {"disciplines"},
    {"reports"},
    {"subscriptions"},
    {"consultations"},
    {"products"},
    {"postquake"},
    {"recognition"},
    {"skill"},
    {"trends"},
    {"sharing"},
    {"flows"},
    {"zones"},
]
APPS = [app for layer in LAYERS for app in sorted(layer)]
LAYER_OF = {app: number for number, layer in enumerate(LAYERS) for app in layer}

INTERFACE_MODULES = {
    "views",
    "apis",
    "api",
    "consumers",
    "tasks",
    "panels",
    "forms",
    "admin",
    "permissions",
    "fdsn",
    "dashboard",
    "serializers",
}
INTERFACE_PACKAGES = {"views", "apis", "consumers", "panels", "forms", "tasks", "templatetags"}
# Modules that wire an app's interfaces into the project (URLs, routing, app start-up,
# beat schedule): above the interfaces, they may import them.
WIRING_MODULES = {
    "urls",
    "api_urls",
    "fdsn_urls",
    "routing",
    "websocket_urls",
    "apps",
    "beat",
    "asgi",
    "celery",
}
# Interface modules that lower modules must not import (permissions are predicates the
# selectors and services share, so they sit below).
ENTRY_MODULES = INTERFACE_MODULES - {"permissions", "serializers", "dashboard", "fdsn"}
INTERFACE_BASES = ("View", "ViewSet", "Api", "APIView", "Consumer", "Form", "Admin", "Serializer")
TASK_DECORATORS = {"shared_task", "task"}
MANAGERS = {"objects", "_default_manager", "_base_manager", "all_objects", "default_manager", "base_manager"}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}
STATE_FIELDS_BY_NAME = {"status", "state"}
MODEL_BASES = {"Model", "TenantOwned", "TimeStamped", "AbstractUser"}
TENANCY_ENTRIES = {"visible_to", "editable_by"}
SYSTEM_READ = "system_read"
# A service may start a tenant query with these (a lock on a row it holds, a creation) ...
SERVICE_ENTRIES = {
    "select_for_update",
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
# ... or narrow it by a value it holds through one of these.
KEYED_CALLS = {"filter", "get", "exclude", "in_bulk"}
SEED_MODULES = {"demo"}
HAND_VISIBILITY = {"PUBLISHED_Q", "PUBLIC_Q", "shared_q"}
# Modules that load each feature app's convention module (routing, demo) by name.
PLUGIN_LOADERS = {"portal/websocket_urls.py", "portal/management/commands/seed_demo.py"}
# The one writer of state fields.
WORKFLOW_ENGINE = "portal/workflow.py"

# --- the one exemption, and the lists that may only shrink ----------------------------------

# ``Event.status`` is the evaluation status of the preferred solution (QuakeML's
# evaluationStatus: automatic / reviewed / deleted), data copied with the solution's other
# fields, whose history is ``EventVersion``; it is no workflow (no person moves it, no
# transition table), and routing a million-row import through the engine would lock and
# audit every row. The import writes it with the other solution fields in ``bulk_update``.
KNOWN_STATE_WRITES_BEING_MOVED: list[tuple[str, str]] = [
    ("catalog/services/events.py", "setattr(event, name, getattr(solution, name))"),
]
# Emptied after the arrival, engine and consultations moves landed; a new entry needs a
# reason like the one above.
KNOWN_TENANT_SCANS_BEING_MOVED: list[tuple[str, str]] = []
KNOWN_IMPORTS_BEING_REMOVED: list[tuple[str, str]] = []


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    text: str  # the stripped source line
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.text}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.text)


# --- module kinds -------------------------------------------------------------------------


def _parts(path: str) -> list[str]:
    return Path(path).with_suffix("").parts  # type: ignore[return-value]


def app_of(path: str) -> str | None:
    first = _parts(path)[0]
    return first if first in LAYER_OF else None


def is_interface_module(path: str) -> bool:
    parts = _parts(path)
    stem = parts[-1] if parts[-1] != "__init__" else parts[-2]
    if stem in INTERFACE_MODULES or any(stem.endswith("_" + name) for name in INTERFACE_MODULES):
        return True
    return any(part in INTERFACE_PACKAGES for part in parts[1:-1])


def _module_is(path: str, name: str) -> bool:
    """``name.py`` or a module of the ``name/`` package, or ``*_name.py``."""
    parts = _parts(path)
    return parts[-1] == name or parts[-1].endswith("_" + name) or name in parts[1:-1]


def is_selector_module(path: str) -> bool:
    return _module_is(path, "selectors")


def is_services_module(path: str) -> bool:
    return _module_is(path, "services")


def is_exempt(path: str) -> bool:
    parts = _parts(path)
    return "migrations" in parts or parts[0] == "tests"


# --- AST helpers --------------------------------------------------------------------------


def _line(source_lines: list[str], node: ast.AST) -> str:
    number = getattr(node, "lineno", 1)
    return source_lines[number - 1].strip() if 0 < number <= len(source_lines) else ""


def _name(node: ast.AST) -> str:
    """The last name of ``a.b.c`` / ``c`` / ``c(...)``; '' otherwise."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _strings(node: ast.AST | None, constants: dict[str, set[str]] | None = None) -> set[str]:
    """The strings a list/tuple/set literal, a constant, a name bound to such a literal
    (``FIELDS = ("status", ...)``), ``[*FIELDS, "x"]`` or ``A + B`` spell."""
    constants = constants or {}
    if node is None:
        return set()
    one = _str(node)
    if one is not None:
        return {one}
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return set().union(*(_strings(e, constants) for e in node.elts)) if node.elts else set()
    if isinstance(node, ast.Starred):
        return _strings(node.value, constants)
    if isinstance(node, ast.Name | ast.Attribute):
        return constants.get(_name(node), set())
    if isinstance(node, ast.BinOp):
        return _strings(node.left, constants) | _strings(node.right, constants)
    return set()


def _constants(tree: ast.AST) -> dict[str, set[str]]:
    """Names assigned a literal of strings anywhere in the module."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    strings = _strings(node.value, found)
                    if strings:
                        found[target.id] = found.get(target.id, set()) | strings
    return found


def _dict_keys(node: ast.AST | None, constants: dict[str, set[str]] | None = None) -> set[str]:
    if isinstance(node, ast.Dict):
        keys = {k for k in (_str(key) for key in node.keys if key is not None) if k is not None}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # {**other}
                keys |= _dict_keys(value, constants)
        return keys
    if isinstance(node, ast.DictComp):
        return _bound_strings(node.key, node.generators, constants or {})
    if isinstance(node, ast.Call) and _name(node) == "dict":
        return {kw.arg for kw in node.keywords if kw.arg}
    return set()


def _bound_strings(
    name: ast.AST, generators: list[ast.comprehension], constants: dict[str, set[str]]
) -> set[str]:
    """The strings ``name`` takes when a comprehension or loop binds it from a constant."""
    if not isinstance(name, ast.Name):
        return _strings(name, constants)
    for generator in generators:
        if isinstance(generator.target, ast.Name) and generator.target.id == name.id:
            return _strings(generator.iter, constants)
    return set()


def _interface_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Classes and functions that are interface code wherever they are written."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            if any(_name(base).endswith(INTERFACE_BASES) for base in node.bases):
                yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [a.arg for a in node.args.posonlyargs + node.args.args]
            if (
                args[:1] == ["request"]
                or args[:2] in (["self", "request"], ["cls", "request"])
                or any(_name(d) in TASK_DECORATORS for d in node.decorator_list)
            ):
                yield node


def _manager_access(node: ast.AST) -> str | None:
    """What ``node`` uses to reach a model manager, if it does."""
    if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
        return node.attr
    if isinstance(node, ast.Call):
        func = _name(node)
        if func == "getattr" and len(node.args) >= 2 and _str(node.args[1]) in MANAGERS:
            return f'getattr(..., "{_str(node.args[1])}")'
        if func in SHORTCUTS:
            return func
    return None


# --- rule 1: interfaces do not touch managers ------------------------------------------------


def check_manager_access(path: str, source: str) -> list[Violation]:
    if is_exempt(path):
        return []
    tree = ast.parse(source)
    lines = source.splitlines()
    scopes: list[ast.AST] = [tree] if is_interface_module(path) else list(_interface_nodes(tree))
    found: dict[int, Violation] = {}
    for scope in scopes:
        for node in ast.walk(scope):
            what = _manager_access(node)
            if what is not None:
                found.setdefault(
                    node.lineno, Violation(path, node.lineno, _line(lines, node), f"manager:{what}")
                )
    return sorted(found.values(), key=lambda v: v.line)


# --- rule 2: state fields written only by the engine ----------------------------------------


def _attribute_targets(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield from _unpack(target)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign) and node.value is not None:
        yield from _unpack(node.target)


def _unpack(target: ast.AST) -> Iterator[ast.AST]:
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _unpack(element)
    elif isinstance(target, ast.Starred):
        yield from _unpack(target.value)
    else:
        yield target


def _non_model_classes(tree: ast.Module, model_bases: set[str]) -> list[ast.ClassDef]:
    """Classes that are plainly not models (no model base, not a mixin): their own
    ``self.status`` (an exception's HTTP status, a parser's state) is not a state field."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {_name(b) for b in node.bases}
            mixin = node.name.endswith("Mixin") or any(b.endswith("Mixin") for b in bases)
            if not mixin and not bases & (model_bases | MODEL_BASES):
                found.append(node)
    return found


def check_state_writes(
    path: str,
    source: str,
    state_fields: Iterable[str] = STATE_FIELDS_BY_NAME,
    model_bases: Iterable[str] = (),
) -> list[Violation]:
    if is_exempt(path) or path == WORKFLOW_ENGINE:
        return []
    fields = set(state_fields)
    tree = ast.parse(source)
    lines = source.splitlines()
    own_state: set[int] = set()  # ids of ``self`` attribute nodes inside non-model classes
    for cls in _non_model_classes(tree, set(model_bases)):
        for node in ast.walk(cls):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "self"
            ):
                own_state.add(id(node))
    found: dict[int, Violation] = {}
    constants = _constants(tree)
    parents = _parents(tree)

    def flag(node: ast.AST, what: str) -> None:
        found.setdefault(node.lineno, Violation(path, node.lineno, _line(lines, node), f"state:{what}"))

    def loop_strings(name: ast.AST) -> set[str]:
        """``for name in FIELDS: setattr(obj, name, ...)``: the names the loop gives it."""
        if not isinstance(name, ast.Name):
            return set()
        scope = parents.get(id(name))
        while scope is not None:
            if isinstance(scope, ast.For | ast.AsyncFor):
                bound = _bound_strings(name, [ast.comprehension(scope.target, scope.iter, [], 0)], constants)
                if bound:
                    return bound
            elif isinstance(scope, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
                bound = _bound_strings(name, scope.generators, constants)
                if bound:
                    return bound
            scope = parents.get(id(scope))
        return set()

    for node in ast.walk(tree):
        for target in _attribute_targets(node):
            if isinstance(target, ast.Attribute) and target.attr in fields and id(target) not in own_state:
                flag(node, f".{target.attr} =")
        if not isinstance(node, ast.Call):
            continue
        func = _name(node)
        if func == "setattr" and len(node.args) >= 2:
            named = (_strings(node.args[1], constants) | loop_strings(node.args[1])) & fields
            if named:
                flag(node, f'setattr "{", ".join(sorted(named))}"')
        elif func in {"update", "bulk_update", "update_or_create", "save"}:
            written: set[str] = set()
            for keyword in node.keywords:
                if func == "update" and keyword.arg in fields:
                    written.add(keyword.arg)
                elif (func == "update" and keyword.arg is None) or (
                    func == "update_or_create" and keyword.arg == "defaults"
                ):
                    written |= _dict_keys(keyword.value, constants) & fields
                elif keyword.arg in ("update_fields", "fields"):
                    written |= _strings(keyword.value, constants) & fields
            if func == "update":
                for arg in node.args:
                    written |= _dict_keys(arg, constants) & fields
            if func == "bulk_update" and len(node.args) >= 2:
                written |= _strings(node.args[1], constants) & fields
            if written:
                flag(node, f"{func}({', '.join(sorted(written))})")
    return sorted(found.values(), key=lambda v: v.line)


# --- rule 3: tenant models read through tenancy -----------------------------------------------


def _decorated_system_read(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
        _name(d) == SYSTEM_READ for d in node.decorator_list
    )


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    parents: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    return parents


def _aliases(tree: ast.AST) -> dict[str, str]:
    """``from x import Model as Alias``: Alias -> Model."""
    return {
        alias.asname: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname
    }


def _keyed(manager: ast.AST, parents: dict[int, ast.AST]) -> bool:
    """The query on ``manager`` is narrowed by a value the code holds (``pk=run_id``,
    ``meeting=meeting``, ``bureau_id=bureau.pk``), not only by constants: it reads the rows
    of something already in hand, not a scan of every bureau."""
    node = parents.get(id(manager))
    while isinstance(node, ast.Attribute):
        call = parents.get(id(node))
        if not (isinstance(call, ast.Call) and call.func is node):
            return False
        if node.attr in KEYED_CALLS:
            values = [kw.value for kw in call.keywords] + list(call.args)
            if any(not isinstance(v, ast.Constant) and not _is_constant_name(v) for v in values):
                return True
        node = parents.get(id(call))
    return False


def _is_constant_name(node: ast.AST) -> bool:
    """``Status.FAILED`` / ``RunStatus.QUEUED`` / ``[A.X, A.Y]``: a constant spelled as names."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(isinstance(e, ast.Constant) or _is_constant_name(e) for e in node.elts)
    return isinstance(node, ast.Attribute) and node.attr.isupper()


def check_tenant_reads(path: str, source: str, tenant_models: Iterable[str]) -> list[Violation]:
    if is_exempt(path):
        return []
    tenants = set(tenant_models)
    tree = ast.parse(source)
    lines = source.splitlines()
    found: dict[int, Violation] = {}
    in_tenancy = path in ("portal/tenancy.py",) or _parts(path)[-1] == "models"
    if not in_tenancy:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in HAND_VISIBILITY:
                found.setdefault(
                    node.lineno,
                    Violation(path, node.lineno, _line(lines, node), f"tenancy:by hand {node.attr}"),
                )
    selector = is_selector_module(path)
    if not selector and (
        in_tenancy
        or is_interface_module(path)
        or _parts(path)[-1] in SEED_MODULES
        or "management" in _parts(path)
    ):
        return sorted(found.values(), key=lambda v: v.line)
    parents = _parents(tree)
    aliases = _aliases(tree)
    allowed = TENANCY_ENTRIES | {"none"} | (set() if selector else SERVICE_ENTRIES)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr in MANAGERS):
            continue
        model = aliases.get(_name(node.value), _name(node.value))
        if model not in tenants:
            continue
        after = parents.get(id(node))
        first = after.attr if isinstance(after, ast.Attribute) and after.value is node else ""
        if first in allowed or (not selector and _keyed(node, parents)):
            continue
        scope = parents.get(id(node))
        marked = False
        while scope is not None:
            if _decorated_system_read(scope):
                marked = True
                break
            scope = parents.get(id(scope))
        if not marked:
            found.setdefault(
                node.lineno,
                Violation(
                    path, node.lineno, _line(lines, node), f"tenancy:{model}.{node.attr}.{first or '?'}"
                ),
            )
    return sorted(found.values(), key=lambda v: v.line)


# --- rule 4: imports only downward ------------------------------------------------------------


def _is_project_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imported_modules(path: str, tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """(node, absolute dotted module) for every import, relative ones resolved; for
    ``from package import name`` also ``package.name`` when that is a module."""
    parts = list(_parts(path))
    package = parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield node, module
            for alias in node.names:
                if _is_project_module(f"{module}.{alias.name}"):
                    yield node, f"{module}.{alias.name}"


def check_imports(path: str, source: str) -> list[Violation]:
    if is_exempt(path):
        return []
    app = app_of(path)
    if app is None:
        return []
    tree = ast.parse(source)
    lines = source.splitlines()
    found: dict[tuple[int, str], Violation] = {}

    def flag(node: ast.AST, rule: str) -> None:
        found.setdefault((node.lineno, rule), Violation(path, node.lineno, _line(lines, node), rule))

    lower_than_interfaces = not is_interface_module(path) and _parts(path)[-1] not in WIRING_MODULES
    for node, module in _imported_modules(path, tree):
        parts = module.split(".")
        target = parts[0]
        if target in LAYER_OF and target != app and LAYER_OF[target] >= LAYER_OF[app]:
            flag(node, f"import:up {app} -> {target}")
        if target == app and lower_than_interfaces and len(parts) > 1:
            last = parts[-1]
            entry = last in ENTRY_MODULES or any(p in INTERFACE_PACKAGES for p in parts[1:])
            # a write-side module (services, and the likes of catalog.arrival, portal.documents)
            # enqueues its own app's tasks; reads (models, selectors) never do
            own_tasks = last == "tasks" and not (is_selector_module(path) or _parts(path)[-1] == "models")
            if entry and not own_tasks and module != ".".join(_parts(path)):
                flag(node, f"import:up {'.'.join(_parts(path))} -> {module}")
        # reads do not depend on writes: models and selectors import no services (any app's)
        reads = is_selector_module(path) or _parts(path)[-1] == "models"
        if (
            reads
            and target in LAYER_OF
            and any(p == "services" or p.endswith("_services") for p in parts[1:])
        ):
            flag(node, f"import:up {'.'.join(_parts(path))} -> {module}")
    if path not in PLUGIN_LOADERS:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node) in ("import_module", "__import__"):
                flag(node, "import:dynamic")
                target = (_str(node.args[0]) or "").split(".")[0] if node.args else ""
                if target in LAYER_OF and target != app and LAYER_OF[target] >= LAYER_OF[app]:
                    flag(node, f"import:up {app} -> {target}")
            if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
                for inner in node.body:
                    for sub in ast.walk(inner):
                        if isinstance(sub, ast.Import | ast.ImportFrom):
                            for _, module in _imported_modules(path, ast.Module(body=[sub], type_ignores=[])):
                                if module.split(".")[0] in LAYER_OF:
                                    flag(sub, "import:optional")
    return sorted(found.values(), key=lambda v: (v.line, v.rule))


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = {_name(e) for e in (handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type])}
    return bool(names & {"ImportError", "ModuleNotFoundError"})


# --- the project --------------------------------------------------------------------------


def project_files() -> list[str]:
    files = []
    for app in APPS:
        for file in sorted((ROOT / app).rglob("*.py")):
            path = str(file.relative_to(ROOT))
            if not is_exempt(path):
                files.append(path)
    return files


def _source(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def state_fields() -> set[str]:
    """``status``, ``state`` and the state field of every registered workflow."""
    from django.apps import apps

    apps.get_models()  # every AppConfig.ready() has run: the workflows are registered
    from portal.workflow import _WORKFLOWS

    return STATE_FIELDS_BY_NAME | {workflow.state_field for workflow in _WORKFLOWS.values()}


def model_bases() -> set[str]:
    """Names of every model class and model base (abstract ones included)."""
    from django.apps import apps
    from django.db import models

    return {
        cls.__name__
        for model in apps.get_models()
        for cls in model.__mro__
        if isinstance(cls, type) and issubclass(cls, models.Model)
    }


def tenant_models() -> set[str]:
    from django.apps import apps

    from portal.tenancy import TenantOwned

    return {model.__name__ for model in apps.get_models() if issubclass(model, TenantOwned)}


def all_violations() -> dict[str, list[Violation]]:
    fields, bases, tenants = state_fields(), model_bases(), tenant_models()
    result: dict[str, list[Violation]] = {"manager": [], "state": [], "tenancy": [], "import": []}
    for path in project_files():
        source = _source(path)
        result["manager"] += check_manager_access(path, source)
        result["state"] += check_state_writes(path, source, fields, bases)
        result["tenancy"] += check_tenant_reads(path, source, tenants)
        result["import"] += check_imports(path, source)
    return result


# --- the project holds the rules ----------------------------------------------------------


@pytest.fixture(scope="module")
def violations() -> dict[str, list[Violation]]:
    return all_violations()


def _unlisted(found: list[Violation], known: list[tuple[str, str]]) -> list[str]:
    return [str(v) for v in found if v.key not in set(known)]


def test_interfaces_do_not_touch_model_managers(violations: dict[str, list[Violation]]) -> None:
    assert [str(v) for v in violations["manager"]] == []


def test_state_fields_are_written_only_by_the_workflow_engine(violations: dict[str, list[Violation]]) -> None:
    assert _unlisted(violations["state"], KNOWN_STATE_WRITES_BEING_MOVED) == []


def test_tenant_models_are_read_through_tenancy(violations: dict[str, list[Violation]]) -> None:
    assert _unlisted(violations["tenancy"], KNOWN_TENANT_SCANS_BEING_MOVED) == []


def test_imports_go_only_downward(violations: dict[str, list[Violation]]) -> None:
    assert _unlisted(violations["import"], KNOWN_IMPORTS_BEING_REMOVED) == []


@pytest.mark.parametrize(
    ("rule", "known"),
    [
        ("state", KNOWN_STATE_WRITES_BEING_MOVED),
        ("tenancy", KNOWN_TENANT_SCANS_BEING_MOVED),
        ("import", KNOWN_IMPORTS_BEING_REMOVED),
    ],
)
def test_known_lists_only_shrink(violations: dict[str, list[Violation]], rule: str, known: list) -> None:
    """Every entry of a temporary list is still a violation: a fixed one must leave the list."""
    found = {v.key for v in violations[rule]}
    assert [entry for entry in known if entry not in found] == []


def test_system_reads_say_why() -> None:
    """``@system_read("reason")`` is the documented exception: it names its reason."""
    unexplained = [
        f"{path}:{node.lineno} {node.name}"
        for path in project_files()
        for node in ast.walk(ast.parse(_source(path)))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for decorator in node.decorator_list
        if _name(decorator) == SYSTEM_READ
        and not (isinstance(decorator, ast.Call) and len(decorator.args) == 1 and _str(decorator.args[0]))
    ]
    assert unexplained == []


def test_the_checks_see_the_project() -> None:
    files = project_files()
    interfaces = {p for p in files if is_interface_module(p)}
    assert {
        "portal/views.py",
        "portal/apis.py",
        "portal/consumers.py",
        "portal/tasks.py",
        "portal/panels.py",
        "portal/forms.py",
        "portal/admin.py",
        "portal/permissions.py",
        "consultations/permissions.py",
        "catalog/fdsn.py",
        "disciplines/views/anomalies.py",
    } <= interfaces
    assert set(APPS) == _project_apps()
    assert {"status", "state"} <= state_fields()
    assert {"Event", "Anomaly", "Meeting", "ProductRun", "TopicReport"} <= tenant_models()
    assert "Membership" not in tenant_models()


def _project_apps() -> set[str]:
    """The installed apps that live in this repository: LAYERS must place each one."""
    from django.apps import apps

    return {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}


# --- the checks catch the tricks (issue 10, item 6) -------------------------------------------


def _rules(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


def test_a_manager_split_over_two_lines_is_caught() -> None:
    source = "def page(request):\n    return (Event\n        .objects\n        .filter(pk=1))\n"
    assert _rules(check_manager_access("catalog/views.py", source)) == ["manager:objects"]


@pytest.mark.parametrize(
    "expression",
    [
        "Event._default_manager.all()",
        "Event._base_manager.all()",
        'getattr(Event, "objects").all()',
        "get_object_or_404(Event, pk=1)",
        "manager = Event.objects",
    ],
)
def test_other_ways_to_a_manager_are_caught(expression: str) -> None:
    source = f"def page(request):\n    {expression}\n"
    assert len(check_manager_access("catalog/views.py", source)) == 1


@pytest.mark.parametrize(
    "path",
    [
        "portal/panels.py",
        "catalog/forms.py",
        "catalog/admin.py",
        "consultations/permissions.py",
        "products/views/runs.py",
        "reports/report_views.py",
        "disciplines/serializers.py",
    ],
)
def test_every_interface_module_is_checked(path: str) -> None:
    source = "from portal.models import Membership\n\ndef can(user):\n    return Membership.objects.filter(user=user).exists()\n"
    assert _rules(check_manager_access(path, source)) == ["manager:objects"]


@pytest.mark.parametrize(
    "source",
    [
        "class EventPage(View):\n    def get(self, request):\n        return Event.objects.all()\n",
        "def page(request):\n    return Event.objects.all()\n",
        "@shared_task(name='x')\ndef job(event_id):\n    return Event.objects.get(pk=event_id)\n",
        "class EventForm(forms.Form):\n    event = forms.ModelChoiceField(queryset=Event.objects.all())\n",
    ],
)
def test_interface_code_in_a_module_named_services_is_caught(source: str) -> None:
    assert _rules(check_manager_access("catalog/services/events.py", source)) == ["manager:objects"]


def test_a_clean_interface_passes() -> None:
    source = "from . import selectors\n\ndef page(request):\n    return selectors.event_list(actor=request.actor)\n"
    assert check_manager_access("catalog/views.py", source) == []
    # selectors and services are where managers are used
    assert check_manager_access("catalog/selectors.py", "def f():\n    return Event.objects.all()\n") == []


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("def close(meeting):\n    meeting.status = 'closed'\n", "state:.status ="),
        ("def close(meeting):\n    meeting.state = 'closed'\n", "state:.state ="),
        ("def close(meeting):\n    setattr(meeting, 'status', 'closed')\n", 'state:setattr "status"'),
        ("def close(qs):\n    qs.filter(pk=1).update(status='closed')\n", "state:update(status)"),
        ("def close(qs):\n    qs.update(**{'status': 'closed'})\n", "state:update(status)"),
        ("def close(qs):\n    Run.objects.bulk_update(runs, ['status'])\n", "state:bulk_update(status)"),
        (
            "def close(qs):\n    Run.objects.update_or_create(pk=1, defaults={'status': 'x'})\n",
            "state:update_or_create(status)",
        ),
        ("def close(run):\n    run.save(update_fields=['status'])\n", "state:save(status)"),
        ("def close(a, b):\n    a.status, b.x = 'closed', 1\n", "state:.status ="),
        (
            "FIELDS = ('magnitude', 'status')\n\ndef apply(e, s):\n    for name in FIELDS:\n"
            "        setattr(e, name, getattr(s, name))\n",
            'state:setattr "status"',
        ),
        (
            "FIELDS = ['status']\n\ndef close(run):\n    run.save(update_fields=[*FIELDS, 'x'])\n",
            "state:save(status)",
        ),
        (
            "FIELDS = ('status',)\n\ndef close(qs, s):\n    qs.update(**{n: getattr(s, n) for n in FIELDS})\n",
            "state:update(status)",
        ),
        ("def close(obj):\n    field = 'status'\n    setattr(obj, field, 'x')\n", 'state:setattr "status"'),
        (
            "class Meeting(TenantOwned):\n    def close(self):\n        self.status = 'closed'\n",
            "state:.status =",
        ),
        (
            "class Meeting(models.Model):\n    def close(self):\n        self.state = 'closed'\n",
            "state:.state =",
        ),
    ],
)
def test_every_way_of_writing_a_state_is_caught(source: str, rule: str) -> None:
    # in any module, services included: only the engine writes a state
    for path in (
        "consultations/services/meetings.py",
        "consultations/models.py",
        "catalog/services/events.py",
    ):
        assert _rules(check_state_writes(path, source)) == [rule]


def test_a_registered_workflows_state_field_is_a_state_field() -> None:
    source = "def move(report):\n    report.phase = 'done'\n"
    assert check_state_writes("reports/services/topic_reports.py", source) == []
    assert _rules(check_state_writes("reports/services/topic_reports.py", source, {"phase"})) == [
        "state:.phase ="
    ]


def test_creating_in_a_state_and_the_engine_pass() -> None:
    source = (
        "def start(bureau):\n"
        "    Run.objects.create(bureau=bureau, status='queued')\n"
        "    Run(bureau=bureau, status='queued').save()\n"
        "    Run.objects.filter(status='queued').count()\n"
        "    return {'status': run.status}\n"
    )
    assert check_state_writes("products/services/runs.py", source) == []
    assert check_state_writes(WORKFLOW_ENGINE, "def t(o):\n    o.status = 'x'\n") == []
    # a class that is no model keeps its own status (an HTTP error's, a parser's)
    assert (
        check_state_writes(
            "portal/errors.py",
            "class Failed(Exception):\n    def __init__(self):\n        self.status = 500\n",
        )
        == []
    )


def test_a_selector_reading_a_tenant_model_without_visible_to_is_caught() -> None:
    source = (
        "from catalog.models import Event as EventModel\n\n"
        "def nearby(bureau):\n"
        "    return EventModel.objects.filter(Q(is_published=True) | Q(bureau=bureau))\n"
    )
    assert _rules(check_tenant_reads("reports/selectors.py", source, {"Event"})) == [
        "tenancy:Event.objects.filter"
    ]


def test_visibility_by_hand_is_caught() -> None:
    source = "def nearby(actor):\n    return Event.objects.visible_to(actor).filter(Event.PUBLISHED_Q)\n"
    assert _rules(check_tenant_reads("reports/services/topic_reports.py", source, {"Event"})) == [
        "tenancy:by hand PUBLISHED_Q"
    ]


def test_tenancy_and_marked_system_reads_pass() -> None:
    source = (
        "def events(actor):\n    return Event.objects.visible_to(actor).filter(magnitude__gte=3)\n\n"
        "def mine(actor):\n    return Event.objects.editable_by(actor)\n\n"
        "@system_read('a worker holding an id')\n"
        "def event_for_worker(event_id):\n    return Event.objects.filter(pk=event_id).first()\n\n"
        "def towns():\n    return Town.objects.all()\n"
    )
    assert check_tenant_reads("catalog/selectors.py", source, {"Event"}) == []


def test_an_upward_import_is_caught() -> None:
    for source in (
        "from reports.selectors import topic_report_find\n",
        "def f():\n    from consultations import selectors\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from products.models import ProductRun\n",
        "import disciplines.selectors\n",
    ):
        assert _rules(check_imports("catalog/services/events.py", source))[0].startswith(
            "import:up catalog ->"
        ), source
    assert (
        check_imports("reports/services/topic_reports.py", "from catalog.selectors import event_list\n") == []
    )


def test_a_lower_module_importing_an_interface_is_caught() -> None:
    assert _rules(check_imports("catalog/selectors.py", "from .views import page\n")) == [
        "import:up catalog.selectors -> catalog.views"
    ]
    # a service enqueues its own app's task; URLs wire the views
    assert check_imports("catalog/services/imports.py", "from catalog.tasks import event_import_task\n") == []
    assert check_imports("catalog/urls.py", "from . import views\n") == []
    # ... and so does any write-side module, but a read never enqueues
    assert check_imports("catalog/arrival.py", "from .tasks import event_arrived_task\n") == []
    assert _rules(check_imports("catalog/selectors.py", "from .tasks import event_arrived_task\n")) == [
        "import:up catalog.selectors -> catalog.tasks"
    ]


def test_a_read_importing_a_write_is_caught() -> None:
    assert _rules(check_imports("reports/selectors.py", "from catalog.services import event_delete\n")) == [
        "import:up reports.selectors -> catalog.services"
    ]
    assert _rules(check_imports("catalog/models.py", "def f():\n    from .services import imports\n")) == [
        "import:up catalog.models -> catalog.services",
        "import:up catalog.models -> catalog.services.imports",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "import importlib\nmodule = importlib.import_module('reports.selectors')\n",
        "from importlib import import_module\nmodule = import_module('catalog.selectors')\n",
        "try:\n    from catalog.selectors import event_list\nexcept ImportError:\n    event_list = None\n",
        "def f():\n    try:\n        import catalog\n    except (ModuleNotFoundError, ValueError):\n        return None\n",
    ],
)
def test_dynamic_and_optional_imports_of_apps_are_caught(source: str) -> None:
    assert _rules(check_imports("products/selectors.py", source)) in (["import:dynamic"], ["import:optional"])


def test_an_upward_import_by_name_is_caught() -> None:
    source = "import importlib\nmodule = importlib.import_module('reports.selectors')\n"
    assert _rules(check_imports("catalog/views.py", source)) == [
        "import:dynamic",
        "import:up catalog -> reports",
    ]


def test_an_optional_third_party_import_passes() -> None:
    source = "try:\n    import shapely\nexcept ImportError:\n    shapely = None\n"
    assert check_imports("portal/geo.py", source) == []


def test_a_service_scanning_every_bureau_is_caught() -> None:
    for read in (
        "Meeting.objects.all()",
        "Meeting.objects.filter(status='open')",
        "Meeting.objects.filter(status__in=[Meeting.Status.OPEN])",
        'Meeting.objects.select_related("bureau")',
    ):
        source = f"def scan():\n    return list({read})\n"
        assert _rules(check_tenant_reads("consultations/services/meetings.py", source, {"Meeting"})) == [
            f"tenancy:Meeting.objects.{read.split('.')[2].split('(')[0]}"
        ], read


def test_a_service_reading_what_it_holds_passes() -> None:
    source = (
        "def close(meeting_id, meeting, actor):\n"
        "    Meeting.objects.select_for_update().get(pk=meeting_id)\n"
        "    Meeting.objects.select_related('bureau').filter(pk=meeting_id).first()\n"
        "    MeetingMaterial.objects.filter(meeting=meeting, kind=Kind.REPORT)\n"
        "    Meeting.objects.editable_by(actor).filter(status='open')\n"
        "    Meeting.objects.create(bureau=actor.bureau, status='scheduled')\n"
    )
    assert (
        check_tenant_reads("consultations/services/meetings.py", source, {"Meeting", "MeetingMaterial"}) == []
    )
