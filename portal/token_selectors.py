"""Reads of personal API tokens and their log (``portal.tokens``).

Tokens are not tenant-owned rows (a bureau's people do not read each other's tokens):
who reads which is ``portal.permissions.tokens_visible_q``, the one rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import NotFound, PermissionDenied
from .models import ApiToken, ApiTokenUse, Role
from .permissions import tokens_visible_q

if TYPE_CHECKING:
    import datetime as dt

    from .models import User
    from .tenancy import Actor

WHOSE_MINE = "mine"
WHOSE_BUREAU = "bureau"


def token_list(*, actor: Actor | None, whose: str = WHOSE_MINE) -> QuerySet[ApiToken]:
    """The actor's own tokens (``mine``), or every token acting for the bureau the actor
    administers (``bureau``: PermissionDenied for anyone but its bureau admin or a system
    admin), newest first."""
    qs = ApiToken.objects.filter(tokens_visible_q(actor)).select_related("owner", "bureau", "revoked_by")
    if actor is None:
        return qs.none()
    if whose == WHOSE_BUREAU:
        if actor.bureau is None or not (actor.is_system_admin or actor.has_role(Role.BUREAU_ADMIN)):
            raise PermissionDenied(
                _("Only the bureau administrator lists the tokens of the bureau's people.")
            )
        return qs.filter(bureau=actor.bureau)
    return qs.filter(owner_id=actor.user.pk)


def token_get(*, actor: Actor | None, token_id: int) -> ApiToken:
    """One token the actor may read; NotFound for missing and not-yours alike."""
    try:
        return (
            ApiToken.objects.filter(tokens_visible_q(actor))
            .select_related("owner", "bureau", "revoked_by")
            .get(pk=token_id)
        )
    except ApiToken.DoesNotExist:
        raise NotFound from None


def token_by_digest(*, digest: str) -> ApiToken | None:
    """The token whose secret hashes to ``digest`` (the authentication's look-up), with
    its owner and bureau; None when there is none."""
    return ApiToken.objects.select_related("owner", "bureau").filter(digest=digest).first()


def token_uses(*, token: ApiToken) -> QuerySet[ApiTokenUse]:
    """The logged requests of a token the caller already read (``token_get``), newest first."""
    return ApiTokenUse.objects.filter(token=token).order_by("-at", "-id")


def token_live_count(*, owner: User, now: dt.datetime | None = None) -> int:
    """How many of ``owner``'s tokens neither expired nor were revoked."""
    now = now or timezone.now()
    return ApiToken.objects.filter(owner=owner, revoked_at__isnull=True, expires_at__gt=now).count()


def token_ids_with_long_logs(*, rows: int) -> list[int]:
    """Tokens with more than ``rows`` logged requests (the pruning's work list)."""
    return list(
        ApiTokenUse.objects.values("token_id")
        .annotate(n=Count("id"))
        .filter(n__gt=rows)
        .values_list("token_id", flat=True)
    )
