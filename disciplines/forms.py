"""Forms of the disciplines pages (phone-first: native date/time inputs, camera for photos)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from observations.models import InterferenceFactor
from portal.forms import person_label
from portal.widgets import DATETIME_INPUT_FORMATS, IsoDateInput, IsoDateTimeInput

from .models import (
    Anomaly,
    AssessmentRating,
    BureauAnomalySettings,
    CheckResult,
    ReportingUnit,
    VerificationReport,
    ZeroReport,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the services check each one's size and type."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"class": "form-control", "accept": "image/*,.pdf,.csv,.txt,.xlsx,.docx"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):  # type: ignore[no-untyped-def]
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ZeroReportForm(forms.Form):
    unit = forms.TypedChoiceField(
        label=_("Reporting unit"),
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    period = forms.DateField(
        label=_("Period"),
        widget=IsoDateInput(attrs={"class": "form-control form-control-lg"}),
    )
    status = forms.ChoiceField(
        label=_("Result"),
        choices=ZeroReport.Status.choices,
        initial=ZeroReport.Status.NONE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    observation_item = forms.CharField(
        label=_("Observation item"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"class": "form-control", "list": "observation-items"}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    onset_at = forms.DateTimeField(
        label=_("Onset time (Beijing)"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=IsoDateTimeInput(),
    )
    attachments = MultipleFileField(label=_("Photos or files"), required=False)

    def __init__(self, *args, units=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{u.name} · {u.discipline.name_zh}") for u in units]


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )
    import_valid = forms.BooleanField(
        label=_("Import the valid lines even if some lines have errors"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Verifier"), coerce=int, widget=forms.Select(attrs={"class": "form-select"})
    )
    due_at = forms.DateTimeField(
        label=_("Deadline (empty: the bureau's default)"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=IsoDateTimeInput(),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.TextInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args, experts=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(u.pk, person_label(u)) for u in experts]


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )


class ExpertAnomalyForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (Anomaly.Source.EXPERT, Anomaly.Source.EXPERT.label),
            (Anomaly.Source.PRODUCT, Anomaly.Source.PRODUCT.label),
        ],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    discipline = forms.ChoiceField(label=_("Discipline"), widget=forms.Select(attrs={"class": "form-select"}))
    # the series it is seen in: its curve is drawn on the anomaly's page (a plain select: the
    # form works without JavaScript; the channels are grouped by station)
    channel = forms.TypedChoiceField(
        label=pgettext_lazy("observation series", "Channel"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("The series the anomaly is seen in; its curve is shown on the anomaly's page."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    station = forms.CharField(
        label=_("Station"),
        max_length=100,
        required=False,
        help_text=_("Not needed when a channel is chosen."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    observation_item = forms.CharField(
        label=_("Observation item"), max_length=60, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    onset_at = forms.DateTimeField(
        label=_("Onset time (Beijing)"),
        input_formats=DATETIME_INPUT_FORMATS,
        widget=IsoDateTimeInput(),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.0001"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.0001"}),
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 3})
    )
    product_reference = forms.CharField(
        label=_("Product reference"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    attachments = MultipleFileField(label=_("Photos or files"), required=False)

    def __init__(self, *args, disciplines=(), channels=(), language="", **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = [(d.code, d.name_zh) for d in disciplines]
        groups: dict[str, list[tuple[int, str]]] = {}
        for c in channels:
            station = f"{c.station.code} {c.station.display_name(language)}"
            suffix = f" {c.orientation}" if c.orientation else ""
            groups.setdefault(station, []).append(
                (c.pk, f"{c.item.display_name(language)}{suffix} ({c.item.code}, {c.unit})")
            )
        self.fields["channel"].choices = [("", "—"), *groups.items()]


class VerificationForm(forms.Form):
    observation = forms.CharField(
        label=_("Observation (station and item)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    instrument = forms.CharField(
        label=_("Instrument"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    onset_at = forms.DateTimeField(
        label=_("Onset time (Beijing)"),
        required=False,
        input_formats=DATETIME_INPUT_FORMATS,
        widget=IsoDateTimeInput(),
    )
    shape = forms.CharField(
        label=_("Shape of the anomaly"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    amplitude = forms.CharField(
        label=_("Amplitude"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    analysis = forms.CharField(
        label=_("Analysis"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 5})
    )
    conclusion = forms.ChoiceField(
        label=_("Conclusion"),
        required=False,
        choices=[("", "---------"), *VerificationReport.Conclusion.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    figures = MultipleFileField(label=_("Figures"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for factor in InterferenceFactor:
            self.fields[f"check_{factor.value}"] = forms.ChoiceField(
                label=factor.label,
                required=False,
                choices=[("", "---------"), *CheckResult.choices],
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"finding_{factor.value}"] = forms.CharField(
                label=_("Finding"),
                required=False,
                max_length=2000,
                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            )

    def check_fields(self):  # type: ignore[no-untyped-def]
        return [(self[f"check_{f.value}"], self[f"finding_{f.value}"]) for f in InterferenceFactor]

    def check_errors(self) -> list[str]:
        """The errors of the interference-check fields, shown once under their table.

        Safe on an unbound form: templates call it on every GET.
        """
        return [
            str(error)
            for f in InterferenceFactor
            for name in (f"check_{f.value}", f"finding_{f.value}")
            for error in self[name].errors
        ]

    def cleaned_checks(self) -> dict[str, dict[str, str]]:
        """The checks as the service takes them; only after ``is_valid()``.

        Not named ``checks``: a template reading ``form.checks`` would call it on an
        unbound form, which has no ``cleaned_data``.
        """
        return {
            f.value: {
                "result": self.cleaned_data.get(f"check_{f.value}") or "",
                "finding": self.cleaned_data.get(f"finding_{f.value}") or "",
            }
            for f in InterferenceFactor
        }


class RatingForm(forms.Form):
    credibility = forms.ChoiceField(
        label=_("Credibility"), choices=AssessmentRating.Credibility.choices, widget=forms.RadioSelect
    )
    relation = forms.ChoiceField(
        label=_("Relation to seismicity"),
        choices=AssessmentRating.Relation.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=Anomaly.Decision.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 2})
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = BureauAnomalySettings
        fields = ["verification_hours", "assessment_hours"]
        widgets = {
            "verification_hours": forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 1440}),
            "assessment_hours": forms.NumberInput(attrs={"class": "form-control", "min": 1, "max": 1440}),
        }


class UnitForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    name = forms.CharField(
        label=pgettext_lazy("reporting unit", "Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=ReportingUnit.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    discipline = forms.ChoiceField(label=_("Discipline"), widget=forms.Select(attrs={"class": "form-select"}))
    lon = forms.FloatField(
        label=_("Longitude"),
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.0001"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.0001"}),
    )
    station = forms.ChoiceField(
        label=_("Station record"),
        required=False,
        help_text=_("For a unit that is a station: its master record (stations of the bureau)."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    observation_items = forms.CharField(
        label=_("Observation items"),
        required=False,
        help_text=_("Separate with commas or 、"),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    reporters = forms.TypedMultipleChoiceField(
        label=_("Reporters"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select"}),
    )
    schedule = forms.ChoiceField(
        label=_("Schedule"),
        choices=ReportingUnit.Schedule.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    deadline_time = forms.TimeField(
        label=_("Deadline (Beijing time, next day)"),
        initial="10:00",
        widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M"),
    )

    def __init__(self, *args, disciplines=(), reporters=(), stations=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = [(d.code, d.name_zh) for d in disciplines]
        self.fields["station"].choices = [("", "—"), *((s.code, f"{s.code} {s.name_zh}") for s in stations)]
        self.fields["reporters"].choices = [(u.pk, person_label(u)) for u in reporters]

    def observation_item_list(self) -> list[str]:
        raw = self.cleaned_data.get("observation_items") or ""
        return [part.strip() for part in raw.replace("、", ",").replace("，", ",").split(",") if part.strip()]
