"""Forms of the post-quake pages: the chair's opinion and the bureau's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import opinions as opinion_services
from .services import settings as settings_services
from .wording import sequence_type_choices


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-select")
        else:
            field.widget.attrs.setdefault("class", "form-control")


class OpinionForm(forms.Form):
    text = forms.CharField(
        label=_("Opinion"),
        required=False,
        max_length=opinion_services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Prefilled from the draft; left empty, the draft's text is issued."),
    )
    sequence_type = forms.ChoiceField(label=_("Sequence type"), required=False)
    expected_max_magnitude = forms.FloatField(
        label=_("Expected largest aftershock (M)"),
        required=False,
        min_value=0.0,
        max_value=opinion_services.MAGNITUDE_MAX,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sequence_type"].choices = [("", _("as the draft says")), *sequence_type_choices()]
        _styled(self)


class SettingsForm(forms.Form):
    R = settings_services.RANGES
    due_minutes = forms.IntegerField(
        label=_("First opinion due after (minutes)"),
        min_value=int(R["due_minutes"][0]),
        max_value=int(R["due_minutes"][1]),
    )
    remind_minutes = forms.IntegerField(
        label=_("reminder after (minutes)"),
        min_value=int(R["remind_minutes"][0]),
        max_value=int(R["remind_minutes"][1]),
        help_text=_("The duty team and the chairs are reminded then, and again at the deadline."),
    )
    rj_a = forms.FloatField(label=_("Reasenberg-Jones a"), min_value=R["rj_a"][0], max_value=R["rj_a"][1])
    rj_b = forms.FloatField(label=_("Reasenberg-Jones b"), min_value=R["rj_b"][0], max_value=R["rj_b"][1])
    rj_p = forms.FloatField(label=_("Reasenberg-Jones p"), min_value=R["rj_p"][0], max_value=R["rj_p"][1])
    rj_c = forms.FloatField(
        label=_("Reasenberg-Jones c (days)"), min_value=R["rj_c"][0], max_value=R["rj_c"][1]
    )
    min_fit_events = forms.IntegerField(
        label=_("Aftershocks needed to fit the sequence's own parameters"),
        min_value=int(R["min_fit_events"][0]),
        max_value=int(R["min_fit_events"][1]),
    )
    signoff_required = forms.BooleanField(
        label=_("Opinions need an approver's sign-off before they are issued"), required=False
    )
    reevaluate_hours = forms.CharField(
        label=_("Re-evaluate after (hours from the clock start)"),
        help_text=_("Whole hours, separated by commas, e.g. 2, 24, 72."),
        max_length=200,
    )
    reevaluate_magnitude = forms.FloatField(
        label=_("Re-evaluate after each aftershock in the sequence zone from magnitude"),
        min_value=R["reevaluate_magnitude"][0],
        max_value=R["reevaluate_magnitude"][1],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)
