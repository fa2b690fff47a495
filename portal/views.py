"""Pages of the portal core: home and dashboard, bureau switcher, administration, notifications."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from . import notifications as delivery
from . import selectors, services, waiting
from .dashboard import panels_for
from .exceptions import InvalidInput, NotFound, PermissionDenied, PortalError
from .forms import BureauForm, GrantForm, PersonForm
from .middleware import SESSION_BUREAU_KEY
from .permissions import (
    can_edit_person_account,
    can_grant_role,
    can_manage_bureaus,
    can_manage_people,
    can_view_person,
)
from .tenancy import actor_for

if TYPE_CHECKING:
    from .models import User


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portal/error.html", {"message": message}, status=403)


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/error.html", {"message": _("Not found.")}, status=404)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if actor is None:
        return render(request, "portal/no_role.html", status=403)
    return render(request, "portal/home.html", {"panels": panels_for(actor)})


@gzip_page  # ~300 kB of outlines; compressed here only (no CSRF token in it, so no BREACH risk)
def bureaus_geojson(request: HttpRequest) -> JsonResponse:
    """Jurisdictions of the active bureaus as one FeatureCollection: the offline basemap.

    Public, like the published events drawn on it (province outlines are no secret).
    Provincial bureaus only unless ``?all=1``: the national units cover them all.
    """
    language = getattr(request, "LANGUAGE_CODE", "zh-hans")
    bureaus = selectors.bureau_outlines(include_national=request.GET.get("all") == "1")
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(bureau.jurisdiction.geojson),
            "properties": {
                "code": bureau.code,
                "name": bureau.display_name(language),
                "kind": bureau.kind,
            },
        }
        for bureau in bureaus
    ]
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_POST
def switch_bureau(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("bureau", "").upper()
    if actor_for(request.user, code) is None:
        messages.error(request, _("You hold no role in bureau %(code)s.") % {"code": code})
    else:
        request.session[SESSION_BUREAU_KEY] = code
    target = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("home")
    return HttpResponseRedirect(target)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.notification_mark_read(user=request.user)
        return redirect("notifications")
    page = Paginator(
        selectors.notification_list(user=request.user).prefetch_related("deliveries"), 25
    ).get_page(request.GET.get("page"))
    # where each one's link opens, from the bureau the reader acts in now
    for notification, link in zip(
        page, selectors.notification_links(actor=request.actor, notifications=page), strict=True
    ):
        notification.link = link
    return render(
        request, "portal/notifications.html", {"page": page, "waiting": waiting.waiting_for(request.actor)}
    )


@login_required
def my_settings(request: HttpRequest) -> HttpResponse:
    """The person's own settings: the channels notifications reach them by, besides the app."""
    user = request.user
    if request.method == "POST":
        delivery.preferences_save(
            user=user, email=request.POST.get("email") == "on", sms=request.POST.get("sms") == "on"
        )
        messages.success(request, _("Saved."))
        return redirect("my-settings")
    return render(request, "portal/my_settings.html", {"sms_available": delivery.sms_available()})


# --- administration ------------------------------------------------------------------


@login_required
def bureau_admin_list(request: HttpRequest) -> HttpResponse:
    if not can_manage_bureaus(request.actor):
        return _forbidden(request, _("Only a system administrator manages bureaus."))
    page = Paginator(selectors.bureau_list(actor=request.actor), 40).get_page(request.GET.get("page"))
    return render(request, "portal/manage/bureau_list.html", {"page": page})


@login_required
def bureau_admin_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    actor = request.actor
    if not can_manage_bureaus(actor):
        return _forbidden(request, _("Only a system administrator manages bureaus."))
    bureau = None
    if code:
        try:
            bureau = selectors.bureau_get(actor=actor, code=code)
        except NotFound:
            return _not_found(request)
    initial: dict[str, Any] = {}
    if bureau:
        initial = {
            "code": bureau.code,
            "name_zh": bureau.name_zh,
            "name_en": bureau.name_en,
            "kind": bureau.kind,
            "is_active": bureau.is_active,
            "jurisdiction": bureau.jurisdiction.geojson if bureau.jurisdiction else "",
        }
    form = BureauForm(request.POST or None, request.FILES or None, initial=initial)
    if bureau:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if bureau:
                data.pop("code", None)
                services.bureau_update(actor=actor, bureau=bureau, **data)
            else:
                bureau = services.bureau_create(actor=actor, **data)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Bureau %(code)s saved.") % {"code": bureau.code})
            return redirect("bureau-admin-edit", code=bureau.code)  # what was saved, on its map
    return render(request, "portal/manage/bureau_form.html", {"form": form, "bureau": bureau})


@login_required
def people_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not can_manage_people(actor):
        return _forbidden(request, _("Only a bureau administrator manages people."))
    people = selectors.user_list(actor=actor)
    query = request.GET.get("q", "").strip()
    if query:
        people = people.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    return render(request, "portal/manage/people_list.html", {"page": page, "query": query})


@login_required
def person_add(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not can_manage_people(actor) or actor.bureau is None:
        return _forbidden(request, _("Only a bureau administrator manages people."))
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grant = {"bureau": actor.bureau.code, "role": data["role"], "discipline": data["discipline"] or None}
        try:
            user = services.user_create(
                actor=actor,
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
                email=data["email"],
                phone=data["phone"],
                memberships=[grant],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("%(name)s added.") % {"name": user.label})
            return redirect("person-detail", user_id=user.pk)
    return render(request, "portal/manage/person_form.html", {"form": form})


def _person_action(request: HttpRequest, person: User, form: GrantForm) -> None:
    """Carry out one POSTed action of the person page; the services check permissions."""
    actor = request.actor
    action = request.POST.get("action")
    if action == "grant":
        if not form.is_valid():
            return  # the form's own errors are shown under its fields
        services.membership_grant(
            actor=actor,
            user=person,
            bureau_code=actor.bureau.code if actor.bureau else None,
            role=form.cleaned_data["role"],
            discipline=form.cleaned_data["discipline"] or None,
        )
        messages.success(request, _("Role granted."))
    elif action == "revoke":
        raw = request.POST.get("membership", "")
        membership_id = int(raw) if raw.isdigit() and len(raw) <= 18 else 0  # fits a bigint
        if membership_id <= 0:
            raise InvalidInput(_("Choose a role to revoke."), field="membership")
        # Only a role of this person in the actor's bureau: any other id is not theirs to see.
        membership = selectors.membership_get(actor=actor, membership_id=membership_id, user=person)
        services.membership_revoke(actor=actor, membership=membership)
        messages.success(request, _("Role revoked."))
    elif action == "deactivate":
        services.user_deactivate(actor=actor, user=person)
        messages.success(request, _("Account deactivated."))
    elif action == "reactivate":
        services.user_reactivate(actor=actor, user=person)
        messages.success(request, _("Account reactivated."))
    else:
        raise InvalidInput(_("Unknown action."), field="action")


@login_required
def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    actor = request.actor
    try:
        person = selectors.user_get(actor=actor, user_id=user_id)
    except NotFound:
        return _not_found(request)
    form = GrantForm(request.POST if request.POST.get("action") == "grant" else None)
    if request.method == "POST":
        try:
            _person_action(request, person, form)
        except NotFound:
            return _not_found(request)
        except PermissionDenied as exc:
            return _forbidden(request, exc.message)
        except PortalError as exc:
            if request.POST.get("action") != "grant":
                messages.error(request, exc.message)
            else:  # shown under the grant form's field, the choice kept, so it can be corrected
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        if request.POST.get("action") != "grant" or not form.errors:
            if not can_view_person(actor, person):  # their last role here was just revoked
                return redirect("people-list")
            return redirect("person-detail", user_id=person.pk)
    history = selectors.audit_list(actor=actor).filter(extra__user=person.username)[:20]
    context = {
        "person": person,
        "form": form,
        "history": history,
        "can_edit_account": can_edit_person_account(actor, person),
        "can_change_roles": actor.bureau is not None and can_grant_role(actor, actor.bureau, person),
    }
    return render(request, "portal/manage/person_detail.html", context)
