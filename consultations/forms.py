"""Forms of the consultation pages; the services validate again (APIs call them too)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from disciplines.selectors import discipline_list
from portal.forms import PeopleChoiceField, PersonChoiceField
from portal.models import Role
from portal.selectors import people_who_can
from portal.widgets import IsoDateInput, IsoDateTimeInput

from .models import Likelihood, MeetingKind


class Styled:
    """Bootstrap classes on every widget."""

    def style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")


class RepresentativesMixin:
    def representatives(self) -> dict[str, Any]:
        """discipline code -> chosen person (None clears), from the rep_<code> fields."""
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {name[4:]: data.get(name) for name in list(data) if name.startswith("rep_")}

    def without_representatives(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if not k.startswith("rep_")}  # type: ignore[attr-defined]


DATETIME = IsoDateTimeInput()
DATE = IsoDateInput()


class MeetingForm(Styled, RepresentativesMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME, required=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    chair = PersonChoiceField(label=_("Chair"), queryset=None)
    recorder = PersonChoiceField(label=_("Recorder"), queryset=None, required=False)
    participants = PeopleChoiceField(
        label=_("Participants"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    joint_bureaus = forms.ModelMultipleChoiceField(
        label=_("Joint consultation with"),
        queryset=None,
        required=False,
        help_text=_("Bureaus of the same tectonic zone; their people see the meeting and its material."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 5}), required=False)

    def __init__(
        self, *args: Any, bureau_ids: list[int], bureaus: Any = None, editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Each picker lists only who can take that part (the services refuse anyone else).
        self.fields["chair"].queryset = people_who_can(bureau_ids=bureau_ids, role=Role.CHAIR)
        for name in ("recorder", "participants"):
            self.fields[name].queryset = people_who_can(bureau_ids=bureau_ids)
        for discipline in discipline_list():
            self.fields[f"rep_{discipline.code}"] = PersonChoiceField(
                label=_("Representative of %(discipline)s") % {"discipline": discipline.name_zh},
                queryset=people_who_can(bureau_ids=bureau_ids, role=Role.EXPERT, discipline=discipline),
                required=False,
            )
        if editing or bureaus is None:
            del self.fields["joint_bureaus"]
            del self.fields["kind"]
        else:
            self.fields["joint_bureaus"].queryset = bureaus
        self.style()


class OpinionForm(Styled, forms.Form):
    discipline = forms.ChoiceField(label=_("Discipline"))
    summary = forms.CharField(label=_("Observations"), widget=forms.Textarea(attrs={"rows": 6}))
    anomalies = forms.CharField(
        label=_("Anomalies cited"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line; a line may end with a link."),
    )
    window_start = forms.DateField(label=_("Forecast window start"), widget=DATE, required=False)
    window_end = forms.DateField(label=_("Forecast window end"), widget=DATE, required=False)
    min_magnitude = forms.DecimalField(
        label=_("Minimum magnitude"), max_digits=3, decimal_places=1, required=False
    )
    max_magnitude = forms.DecimalField(
        label=_("Maximum magnitude"), max_digits=3, decimal_places=1, required=False
    )
    likelihood = forms.ChoiceField(
        label=_("Likelihood"), choices=[("", "—"), *Likelihood.choices], required=False
    )
    regions = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, disciplines: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = disciplines
        self.style()

    def anomalies_cited(self) -> list[dict[str, str]]:
        items = []
        for line in (self.cleaned_data.get("anomalies") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            title, _sep, url = line.rpartition(" ")
            if url.startswith(("http://", "https://", "/")) and title:
                items.append({"title": title.strip(), "url": url})
            else:
                items.append({"title": line})
        return items


class ForecastForm(Styled, forms.Form):
    window_start = forms.DateField(label=_("Window start"), widget=DATE)
    window_end = forms.DateField(label=_("Window end"), widget=DATE)
    min_magnitude = forms.DecimalField(label=_("Minimum magnitude"), max_digits=3, decimal_places=1)
    max_magnitude = forms.DecimalField(
        label=_("Maximum magnitude"), max_digits=3, decimal_places=1, required=False
    )
    likelihood = forms.ChoiceField(label=_("Likelihood"), choices=Likelihood.choices)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    region = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class EmergencySettingsForm(Styled, forms.Form):
    emergency_magnitude = forms.DecimalField(
        label=_("Emergency magnitude"),
        max_digits=3,
        decimal_places=1,
        help_text=_("At or above it an emergency meeting opens; below, a post-earthquake trend meeting."),
    )
    on_duty = PeopleChoiceField(
        label=_("On duty"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, bureau_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on_duty"].queryset = people_who_can(bureau_ids=bureau_ids)
        self.style()


class SearchForm(Styled, forms.Form):
    q = forms.CharField(label=_("Text"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("all types")), *MeetingKind.choices], required=False
    )
    start = forms.DateField(label=_("From"), widget=DATE, required=False)
    end = forms.DateField(label=_("To"), widget=DATE, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
