"""Template filters of the disciplines: the menu asks the same predicates as the pages it links
to, so nobody is shown a link the page would refuse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template

from disciplines import permissions

if TYPE_CHECKING:
    from portal.tenancy import Actor

register = template.Library()


@register.filter
def may_view_matrix(actor: Actor | None) -> bool:
    return permissions.can_view_matrix(actor)


@register.filter
def may_import_zero_reports(actor: Actor | None) -> bool:
    return permissions.can_import_zero_reports(actor)


@register.filter
def may_manage_anomaly_settings(actor: Actor | None) -> bool:
    return permissions.can_manage_anomaly_settings(actor)
