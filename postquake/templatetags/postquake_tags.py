"""``{% case_clock case %}``: a post-quake case against its deadline, for its page, its list and
anything else that shows the case: a live countdown while it is open (``static/portal/
countdown.js``), "overdue by N min" after the deadline, "issued N min before/after the deadline"
once the first opinion is issued."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template
from django.utils import timezone

from postquake.punctuality import clock_of

if TYPE_CHECKING:
    from postquake.models import PostQuakeCase

register = template.Library()


@register.inclusion_tag("postquake/_countdown.html")
def case_clock(case: PostQuakeCase) -> dict[str, Any]:
    return {"case": case, **clock_of(case, timezone.now())}
