"""Template filters that show audit rows in words: ``action_label``, ``from_state``, ``to_state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from portal import workflow

if TYPE_CHECKING:
    from portal.models import AuditEvent

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``report.submit`` → 提交审核 (the registry of ``portal.workflow``)."""
    return workflow.label(action)


@register.filter
def from_state(event: AuditEvent) -> str:
    return workflow.state_label(event, event.from_state)


@register.filter
def to_state(event: AuditEvent) -> str:
    return workflow.state_label(event, event.to_state)
