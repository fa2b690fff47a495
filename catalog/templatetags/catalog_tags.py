"""Template filters of the catalog: the menu asks the same predicates as the pages it links to,
so nobody is shown a link the page would refuse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from catalog.arrival import can_edit_alert_rule
from catalog.services.quick_reports import can_post_quick_report

if TYPE_CHECKING:
    from portal.tenancy import Actor

register = template.Library()


@register.filter
def may_post_quick_report(actor: Actor | None) -> bool:
    """The quick-report form, its inbox and the catalog imports (``can_post_quick_report``)."""
    return can_post_quick_report(actor)


@register.filter
def may_edit_alert_rule(actor: Actor | None) -> bool:
    return can_edit_alert_rule(actor)
