"""Pages of personal API tokens: mine (make, list, revoke, each one's log) at ``/me/tokens/``
and, for a bureau admin, the bureau's at ``/manage/tokens/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import token_selectors, token_services
from .exceptions import InvalidInput, PermissionDenied
from .pages import page
from .permissions import can_create_token
from .tenancy import bureaus_of
from .token_forms import TokenForm

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

PER_PAGE = 25


def _form(request: HttpRequest, data: dict[str, object] | None = None) -> TokenForm:
    actor = request.actor  # type: ignore[attr-defined]
    return TokenForm(
        data,
        bureaus=bureaus_of(request.user),  # type: ignore[arg-type]
        current=actor.bureau.code if actor and actor.bureau else None,
    )


@page
def token_list(request: HttpRequest) -> HttpResponse:
    """My tokens and the form that makes one; a token made is shown with its secret, once."""
    actor = request.actor  # type: ignore[attr-defined]
    if request.method == "POST" and not can_create_token(actor):
        raise PermissionDenied(
            _("A system administrator's powers are not given to programs: use a personal account.")
        )
    form = _form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = token_services.token_create(
                actor=actor,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires=form.expires_at(),
                bureau_code=form.cleaned_data["bureau"],
                rate_limit=form.cleaned_data["rate_limit"],
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            response = render(request, "portal/tokens/created.html", {"token": token, "secret": secret})
            response["Cache-Control"] = "no-store"  # the secret is in this page, and only here
            return response
    if request.method == "POST":
        status = 400
    tokens = Paginator(token_selectors.token_list(actor=actor), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": tokens, "form": form, "can_create": can_create_token(actor)}
    return render(request, "portal/tokens/list.html", context, status=status)


@page
def token_detail(request: HttpRequest, token_id: int) -> HttpResponse:
    """One token (mine, or one of my bureau's as its admin) and the requests made with it."""
    token = token_selectors.token_get(actor=request.actor, token_id=token_id)  # type: ignore[attr-defined]
    uses = Paginator(token_selectors.token_uses(token=token), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/tokens/detail.html", {"token": token, "page": uses})


@require_POST
@page
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    token = token_selectors.token_get(actor=actor, token_id=token_id)
    token_services.token_revoke(actor=actor, token=token)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("token-detail", token_id=token.pk)


@page
def bureau_tokens(request: HttpRequest) -> HttpResponse:
    """The bureau admin's list: every token acting for the bureau, whose, and its standing."""
    actor = request.actor  # type: ignore[attr-defined]
    tokens = token_selectors.token_list(actor=actor, whose=token_selectors.WHOSE_BUREAU)
    listed = Paginator(tokens, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/tokens/bureau.html", {"page": listed})
