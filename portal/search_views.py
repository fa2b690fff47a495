"""The search page (``/search/``): the box on every page sends its words here. Without a
kind the hits are grouped by kind (each kind's best, with its count and a link to all of
them); with a kind, that kind's hits ranked and paginated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import search, search_selectors, selectors
from .exceptions import InvalidInput
from .search_input import Q_MAX_LENGTH, search_filter
from .search_selectors import SearchResults

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .tenancy import Actor

PAGE_SIZE = 20
#: hits shown per kind when the page groups them
PER_KIND = 5


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=Q_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("九江 水位, 逐日比 异常, 玛多 7.4…")}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    bureau = forms.ChoiceField(label=gettext_lazy("Bureau"), required=False)
    # "from" is a Python keyword: the field is added by name in __init__
    to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("all kinds"))] + [(k.key, str(k.label)) for k in search.kinds()]
        bureaus = selectors.bureau_list(actor=actor)
        self.fields["bureau"].choices = [("", _("all bureaus"))] + [
            (b.code, f"{b.code} · {b.name_zh}") for b in bureaus
        ]
        self.fields["from"] = forms.DateField(
            label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )
        self.order_fields(["q", "kind", "bureau", "from", "to"])
        for field in self.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field, forms.ChoiceField)
                else "form-control form-control-sm"
            )
            field.widget.attrs.update({"class": css, "aria-label": str(field.label)})


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if actor is None:
        return render(request, "portal/no_role.html", status=403)
    form = SearchForm(request.GET or None, actor=actor)
    context: dict[str, Any] = {"form": form, "groups": [], "page": None, "counts": {}, "searched": False}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound and (form.cleaned_data.get("q") or "").strip():
        data = form.cleaned_data
        try:
            flt = search_filter(
                q=data["q"],
                kinds=[data["kind"]] if data.get("kind") else [],
                bureau_code=data.get("bureau") or "",
                date_from=data.get("from"),
                date_to=data.get("to"),
            )
        except InvalidInput as problem:
            form.add_error(problem.field if problem.field in form.fields else None, str(problem.message))
            return render(request, "portal/search.html", context, status=400)
        results = SearchResults(actor=actor, flt=flt)
        found = results.found
        labels = {k.key: str(k.label) for k in search.kinds()}
        base = {k: v for k, v in request.GET.items() if k in ("q", "bureau", "from", "to") and v}
        context.update(
            searched=True,
            total=found.total,
            capped=bool(found.capped),
            cap=search_selectors.KIND_CAP,
            facets=[
                (
                    key,
                    labels[key],
                    found.counts[key],
                    key in found.capped,
                    "?" + urlencode({**base, "kind": key}),
                )
                for key in labels
                if key in found.counts
            ],
            all_url="?" + urlencode(base),
            kind=data.get("kind") or "",
        )
        if data.get("kind"):
            paginator = Paginator(results, PAGE_SIZE)
            context["page"] = paginator.get_page(request.GET.get("page"))
            context["extra_query"] = (
                urlencode({k: v for k, v in {**base, "kind": data["kind"]}.items() if k != "q"}) + "&"
            )
            context["query"] = data["q"]
        else:
            # each kind's best few, from the one search (their documents in one read)
            best = {key: [c for c in found.ranked if c.kind == key][:PER_KIND] for key in found.counts}
            hits = search_selectors.hits_of([c for group in best.values() for c in group], flt)
            for key, label, count, capped, url in context["facets"]:
                context["groups"].append(
                    {
                        "key": key,
                        "label": label,
                        "count": count,
                        "capped": capped,
                        "url": url,
                        "hits": [hit for hit in hits if hit.kind == key],
                    }
                )
    return render(request, "portal/search.html", context, status=status)
