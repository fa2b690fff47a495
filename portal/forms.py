from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import uploads
from .exceptions import InvalidInput
from .models import Bureau, Role, User
from .selectors import portal_disciplines


def person_label(person: User) -> str:
    """How a picker shows a person: their name and bureau, never the login name alone."""
    code = getattr(person, "bureau_code", None)
    return f"{person.label} ({code})" if code else person.label


class PersonChoiceField(forms.ModelChoiceField):
    """One person; feed it ``portal.selectors.people_who_can(...)`` for the role at stake."""

    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:  # type: ignore[override]
        return person_label(obj)


class BureauForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=16)
    name_zh = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=150)
    kind = forms.ChoiceField(label=_("kind"), choices=Bureau.Kind.choices)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    # Drawn and edited on the page's map (static/portal/bureau_map.js writes the GeoJSON here
    # when the shapes change); a file, when given, wins over the drawing.
    jurisdiction = forms.CharField(label=_("jurisdiction"), required=False, widget=forms.HiddenInput)
    jurisdiction_file = forms.FileField(
        label=_("or upload a GeoJSON file"),
        required=False,
        help_text=_("A GeoJSON Polygon or MultiPolygon in longitude/latitude (WGS84)."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.pop("jurisdiction_file", None)
        if upload:
            if upload.size > 20 * 1024 * 1024:
                self.add_error("jurisdiction_file", _("The file is larger than 20 MB."))
                return data
            try:
                uploads.check_upload(
                    upload, allowed=("geojson",), field="jurisdiction_file", max_bytes=20 * 1024 * 1024
                )
                data["jurisdiction"] = upload.read().decode("utf-8")
            except InvalidInput as exc:
                self.add_error("jurisdiction_file", exc.message)
            except UnicodeDecodeError:
                self.add_error("jurisdiction_file", _("The file is not UTF-8 text."))
        return data


def _discipline_choices() -> list[tuple[str, str]]:
    return [
        ("", _("all disciplines")),
        *((d.code, f"{d.name_zh} {d.name_en}") for d in portal_disciplines()),
    ]


class GrantForm(forms.Form):
    # No role is preselected: a grant is a decision, and the first role of the list
    # (bureau admin) is the most powerful one.
    role = forms.ChoiceField(label=_("role"), choices=[("", "—"), *Role.choices])
    discipline = forms.ChoiceField(label=_("discipline"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = _discipline_choices()


class PersonForm(GrantForm):
    username = forms.CharField(label=_("username"), max_length=150)
    display_name = forms.CharField(label=_("display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput, min_length=8)
    field_order = ["username", "display_name", "email", "phone", "password", "role", "discipline"]
