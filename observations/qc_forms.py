"""The forms of the QC review: the queue's filters and the review of a day (with the other
days of its channel a batch review may take along). The rules (cause for interference only,
comment for fault and interference, the marked span) are the service's; these forms read the
input and show the service's refusals on their fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import DisciplineCode
from portal.widgets import DATETIME_INPUT_FORMATS, IsoDateInput, IsoDateTimeInput

from .models import InterferenceFactor, QcDay, QcFlag, QcVerdict

SELECT = {"class": "form-select form-select-sm"}


class QcQueueFilterForm(forms.Form):
    """``?station=&discipline=&kind=&start=&end=&status=`` of the queue; all optional."""

    station = forms.ChoiceField(label=_("Station"), required=False, widget=forms.Select(attrs=SELECT))
    discipline = forms.ChoiceField(
        label=_("Discipline"),
        required=False,
        choices=[("", _("All disciplines")), *DisciplineCode.choices],
        widget=forms.Select(attrs=SELECT),
    )
    kind = forms.ChoiceField(
        label=_("Kind of flag"),
        required=False,
        choices=[("", _("All kinds of flag")), *QcFlag.Kind.choices],
        widget=forms.Select(attrs=SELECT),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *QcDay.Status.choices],
        widget=forms.Select(attrs=SELECT),
    )
    start = forms.DateField(
        label=_("From (UTC day)"),
        required=False,
        widget=IsoDateInput(attrs={"class": "form-control form-control-sm"}),
    )
    end = forms.DateField(
        label=_("Until (UTC day)"),
        required=False,
        widget=IsoDateInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args: Any, stations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [("", _("All stations")), *stations]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end comes after the start."))
        return data


class QcReviewForm(forms.Form):
    """A person's review of a day (and, ticked, of other days of its channel)."""

    verdict = forms.ChoiceField(label=_("Verdict"), choices=QcVerdict.choices, widget=forms.RadioSelect)
    cause = forms.ChoiceField(
        label=_("Cause of the interference"),
        required=False,
        choices=[("", "—"), *InterferenceFactor.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("Only for interference: the same list as the anomaly verification."),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text=_("Required for a fault or an interference: what you saw."),
    )
    start = forms.DateTimeField(
        label=_("Mark a span from (Beijing time)"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=IsoDateTimeInput(),
    )
    end = forms.DateTimeField(
        label=_("until (Beijing time)"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=IsoDateTimeInput(),
        help_text=_("Optional: samples the machine did not flag, with the same verdict."),
    )
    days = forms.TypedMultipleChoiceField(
        label=_("Judge these days of the channel too"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].choices = candidates  # type: ignore[attr-defined]
        if not candidates:
            del self.fields["days"]
