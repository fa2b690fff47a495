"""Writes of personal API tokens: making one (the secret is returned once), revoking one,
logging each request made with one, and keeping that log bounded.

Written by hand rather than with a library: djangorestframework-api-key's keys belong to
no person (a permission class, not an authentication, so no ``request.user`` and no
actor) and django-rest-knox deletes a token when it expires (no "expired" answer, no
history), keeps 15 characters of each secret in clear, and has neither names, scopes nor
per-token rates. What is needed on top of either was most of this module.

The secret is ``ispat_`` (ISPEC personal access token, a fixed prefix as GitHub's
``ghp_``: secret scanners and people recognise it) and 43 URL-safe characters from
``secrets`` (256 bits). Only its SHA-256 digest is stored: a random secret of that length
cannot be guessed from a fast hash, so a slow password hash would add cost per request
and no safety.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import InvalidInput, NotFound, PermissionDenied
from .models import ApiToken, ApiTokenUse, TokenScope
from .permissions import can_create_token, can_manage_token
from .services import audit_record, notify_user
from .tenancy import bureaus_of
from .token_selectors import token_ids_with_long_logs, token_live_count
from .validators import clean_title, max_length_of

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .tenancy import Actor

logger = logging.getLogger(__name__)

SECRET_PREFIX = "ispat_"  # noqa: S105 - the public prefix of every secret, not a secret
SECRET_BYTES = 32
HINT_LENGTH = len(SECRET_PREFIX) + 4
# last_used_at is written at most this often per token: a busy program is not a write per request.
LAST_USED_EVERY = dt.timedelta(minutes=1)
PATH_MAX = 300


def secret_digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def _clean_scopes(scopes: Iterable[Any]) -> list[str]:
    known = [choice.value for choice in TokenScope]
    chosen = {str(scope) for scope in scopes}
    unknown = sorted(chosen - set(known))
    if unknown:
        raise InvalidInput(
            _("Unknown scope: %(scopes)s. Known scopes: %(known)s.")
            % {"scopes": ", ".join(unknown), "known": ", ".join(known)},
            field="scopes",
        )
    if not chosen:
        raise InvalidInput(_("Choose at least one scope."), field="scopes")
    return [scope for scope in known if scope in chosen]  # in the list's order


def _clean_expiry(expires: dt.datetime, now: dt.datetime) -> dt.datetime:
    if timezone.is_naive(expires):
        raise InvalidInput(_("Give the expiry with its time zone."), field="expires")
    if expires <= now:
        raise InvalidInput(_("The expiry must lie in the future."), field="expires")
    longest = dt.timedelta(days=settings.PERSONAL_TOKEN_MAX_DAYS)
    if expires > now + longest:
        raise InvalidInput(
            _("A token lives at most %(days)d days.") % {"days": longest.days}, field="expires"
        )
    return expires


def _clean_rate(rate_limit: int | None) -> int | None:
    if rate_limit is None:
        return None
    most = settings.PERSONAL_TOKEN_RATE_LIMIT_MAX
    if not 1 <= rate_limit <= most:
        raise InvalidInput(
            _("The rate limit is from 1 to %(most)d requests per minute.") % {"most": most},
            field="rate_limit",
        )
    return rate_limit


@transaction.atomic
def token_create(
    *,
    actor: Actor,
    name: str,
    scopes: Iterable[Any],
    expires: dt.datetime,
    bureau_code: str | None = None,
    rate_limit: int | None = None,
) -> tuple[ApiToken, str]:
    """Make a personal token for the actor; returns it and its secret (never stored, shown once).

    The token acts for ``bureau_code`` (default: the bureau the actor acts in), which must
    be one where the actor holds a role. PermissionDenied for a system admin; InvalidInput
    naming the field for a bad name, an unknown or missing scope, an expiry not in the
    future or beyond ``PERSONAL_TOKEN_MAX_DAYS``, a rate outside 1 to
    ``PERSONAL_TOKEN_RATE_LIMIT_MAX``, or more than ``PERSONAL_TOKEN_MAX_PER_PERSON`` live tokens.
    """
    if not can_create_token(actor):
        raise PermissionDenied(
            _("A system administrator's powers are not given to programs: use a personal account.")
        )
    now = timezone.now()
    name = clean_title(name, field="name", max_length=max_length_of(ApiToken, "name"))
    chosen = _clean_scopes(scopes)
    expires = _clean_expiry(expires, now)
    rate_limit = _clean_rate(rate_limit)
    mine = {bureau.code: bureau for bureau in bureaus_of(actor.user)}
    code = (bureau_code or (actor.bureau.code if actor.bureau else "")).strip().upper()
    bureau = mine.get(code)
    if bureau is None:
        raise InvalidInput(_("You hold no role in the bureau %(code)s.") % {"code": code}, field="bureau")
    if token_live_count(owner=actor.user, now=now) >= settings.PERSONAL_TOKEN_MAX_PER_PERSON:
        raise InvalidInput(
            _("You hold %(most)d live tokens, the most one person may: revoke one first.")
            % {"most": settings.PERSONAL_TOKEN_MAX_PER_PERSON},
            field="name",
        )
    secret = _new_secret()
    token = ApiToken.objects.create(
        owner=actor.user,
        bureau=bureau,
        name=name,
        hint=secret[:HINT_LENGTH],
        digest=secret_digest(secret),
        scopes=chosen,
        expires_at=expires,
        rate_limit=rate_limit,
    )
    audit_record(
        actor=actor,
        action="token.create",
        target=token,
        bureau=bureau,
        extra={
            "name": name,
            "owner": actor.user.username,
            "scopes": chosen,
            "expires": expires.isoformat(),
            "rate_limit": rate_limit,
        },
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken, comment: str = "") -> ApiToken:
    """Revoke a token: it is refused (401) from the next request on. Its owner, the admin
    of its bureau or a system admin may (NotFound for anyone else: they cannot see it);
    revoking a revoked token changes nothing. The owner is told when someone else revoked it."""
    token = ApiToken.objects.select_for_update().select_related("owner", "bureau").get(pk=token.pk)
    if not can_manage_token(actor, token):
        raise NotFound
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor.user
    token.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(
        actor=actor,
        action="token.revoke",
        target=token,
        bureau=token.bureau,
        comment=comment,
        extra={"name": token.name, "owner": token.owner.username},
    )
    if token.owner_id != actor.user.pk:
        notify_user(
            user=token.owner,
            title=_("Your API token “%(name)s” was revoked by %(who)s")
            % {"name": token.name, "who": actor.user.label},
            url=reverse("token-detail", args=[token.pk]),
            level="warning",
            bureau=token.bureau,
        )
    return token


def token_use_record(
    *,
    token: ApiToken,
    method: str,
    path: str,
    status_code: int,
    address: str | None = None,
    at: dt.datetime | None = None,
) -> ApiTokenUse:
    """Log one request made with ``token`` (one INSERT) and, at most once a minute per
    token, stamp its ``last_used_at`` (only for requests it was accepted for)."""
    at = at or timezone.now()
    use = ApiTokenUse.objects.create(
        token=token,
        at=at,
        method=method[:8],
        path=path[:PATH_MAX],
        status_code=max(0, min(status_code, 32767)),
        address=address or None,
    )
    if status_code != 401:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=at - LAST_USED_EVERY)
        ).update(last_used_at=at)
    return use


def token_uses_prune(*, now: dt.datetime | None = None) -> int:
    """Drop logged requests older than ``PERSONAL_TOKEN_LOG_DAYS`` and, per token, all but
    the newest ``PERSONAL_TOKEN_LOG_ROWS``; returns how many rows went."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.PERSONAL_TOKEN_LOG_DAYS)
    removed, _by_model = ApiTokenUse.objects.filter(at__lt=cutoff).delete()
    keep = settings.PERSONAL_TOKEN_LOG_ROWS
    for token_id in token_ids_with_long_logs(rows=keep):
        newest = ApiTokenUse.objects.filter(token_id=token_id).order_by("-at", "-id")
        oldest_kept = list(newest.values_list("at", "id")[keep - 1 : keep])
        if not oldest_kept:
            continue
        at, use_id = oldest_kept[0]
        count, _by_model = (
            ApiTokenUse.objects.filter(token_id=token_id)
            .filter(Q(at__lt=at) | Q(at=at, id__lt=use_id))
            .delete()
        )
        removed += count
    if removed:
        logger.info("token log: %d old requests dropped", removed)
    return removed
