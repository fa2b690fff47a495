"""The node types, one module per family: ``triggers``, ``sources``, ``methods`` (one node
per method of the product engine), ``logic``, ``outputs`` and ``reporting`` (the portal's own report paths). Importing a module registers
its nodes in ``flows.registry.NODE_TYPES``; :func:`load` imports them all once."""

from __future__ import annotations

_LOADED = False


def load() -> None:
    global _LOADED
    if _LOADED:
        return
    from . import logic, methods, outputs, reporting, sources, triggers

    del logic, methods, outputs, reporting, sources, triggers
    _LOADED = True
