"""A version's changes (``validation.definition_diff``) as sentences a person reads: nodes
added and removed, parameters changed (old → new), edges added and removed."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _


def _value(value: Any) -> str:
    if value is None:
        return _("(empty)")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def diff_in_words(diff: dict[str, Any]) -> list[str]:
    """One line per change; an empty list when nothing but positions changed."""
    lines: list[str] = []
    if diff["nodes_added"]:
        lines.append(_("Nodes added: %(ids)s") % {"ids": ", ".join(diff["nodes_added"])})
    if diff["nodes_removed"]:
        lines.append(_("Nodes removed: %(ids)s") % {"ids": ", ".join(diff["nodes_removed"])})
    for node in diff["nodes_changed"]:
        if "type" in node:
            lines.append(
                _("Node %(id)s: type %(old)s → %(new)s")
                % {"id": node["id"], "old": node["type"]["old"], "new": node["type"]["new"]}
            )
        for key, change in node["params"].items():
            lines.append(
                _("Node %(id)s: %(param)s %(old)s → %(new)s")
                % {
                    "id": node["id"],
                    "param": key,
                    "old": _value(change["old"]),
                    "new": _value(change["new"]),
                }
            )
    lines.extend(
        _("Connection added: %(from)s → %(to)s") % {"from": e["from"], "to": e["to"]}
        for e in diff["edges_added"]
    )
    lines.extend(
        _("Connection removed: %(from)s → %(to)s") % {"from": e["from"], "to": e["to"]}
        for e in diff["edges_removed"]
    )
    return lines
