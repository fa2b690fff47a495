"""The post-quake cases' API (/api/v1/post-quake-cases/..., /api/v1/post-quake-settings/).

* ``GET post-quake-cases/``: the cases the reader may see, newest first (paginated;
  ``?bureau=<code>`` narrows them to one bureau's, an unknown code or one not read lists
  nothing, as the other lists' bureau filters do; ``?status=``);
* ``GET post-quake-cases/<id>/``: one case with its draft and its opinions (another bureau's: 404);
* ``POST post-quake-cases/<id>/transitions/``: ``{"action": "close", "comment"}`` (the chair);
* ``GET|PUT post-quake-cases/<id>/opinions/<n>/``: one opinion; the chair's text and judgement
  of a proposed one (an issued one is frozen: 409);
* ``POST post-quake-cases/<id>/opinions/<n>/transitions/``: ``{"action": "issue" | "submit" |
  "sign_off" | "return", "comment"}``: 403 for someone who may not, 409 for a wrong state
  (or "issue" where the bureau requires sign-off), 400 for an unknown action or a return
  without a comment;
* ``GET|PUT post-quake-settings/``: the bureau's settings (PUT: the bureau admin).
* ``GET post-quake-cases/punctuality/?month=YYYY-MM``: the month's first opinions against
  their deadlines (a bad month: 400 naming ``month``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.exceptions import InvalidInput
from portal.fields import IntegerField
from portal.models import TokenScope

from . import punctuality, selectors
from .models import CaseState, PostQuakeCase, PostQuakeOpinion
from .services import case_transition, opinion_edit, opinion_transition
from .services import opinions as opinion_services
from .services import settings as settings_services
from .wording import SEQUENCE_TYPES, changes_in_words, opinion_text, trigger_words

#: A bureau's code as the filters take it (the codes are short Latin letters and digits).
BUREAU_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$"

if TYPE_CHECKING:
    from rest_framework.request import Request


def _who(user: Any) -> str | None:
    return user.username if user is not None else None


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def opinion_payload(opinion: PostQuakeOpinion, request: Request) -> dict[str, Any]:
    """An opinion as the API gives it: ``text`` is the chair's, or the draft's prefill in the
    reader's language until written (``text_written`` says which); ``changes`` against the
    last issued opinion, also in words; ``actions``: what the reader may do next."""
    return {
        "id": opinion.pk,
        "number": opinion.number,
        "kind": opinion.kind,
        "trigger": opinion.trigger,
        "trigger_in_words": trigger_words(opinion.trigger),
        "state": opinion.state,
        "text": opinion_text(opinion),
        "text_written": bool(opinion.text),
        "sequence_type": opinion.sequence_type or None,
        "expected_max_magnitude": opinion.expected_max_magnitude,
        "changes": opinion.changes or {},
        "changes_in_words": changes_in_words(opinion.changes or {}),
        "snapshot": _draft(opinion.snapshot or {}),
        "author": _who(opinion.author),
        "edited_at": _when(opinion.edited_at),
        "recomputed_at": _when(opinion.recomputed_at),
        "submitted_by": _who(opinion.submitted_by),
        "submitted_at": _when(opinion.submitted_at),
        "return_comment": opinion.return_comment,
        "signer": _who(opinion.signer),
        "signed_off_at": _when(opinion.signed_off_at),
        "issued_by": _who(opinion.issued_by),
        "issued_at": _when(opinion.issued_at),
        "actions": opinion_services.opinion_actions(request.actor, opinion),
    }


class OpinionOutputSerializer(serializers.Serializer):
    """One opinion of a case (see ``opinion_payload``)."""

    id = serializers.IntegerField()
    number = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["first", "update"])
    trigger = serializers.CharField()
    trigger_in_words = serializers.CharField()
    state = serializers.ChoiceField(choices=["draft", "submitted", "issued"])
    text = serializers.CharField()
    text_written = serializers.BooleanField()
    sequence_type = serializers.CharField(allow_null=True)
    expected_max_magnitude = portal_fields.FloatField(allow_null=True)
    changes = serializers.JSONField()
    changes_in_words = serializers.ListField(child=serializers.CharField())
    snapshot = serializers.JSONField()
    author = serializers.CharField(allow_null=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    recomputed_at = serializers.DateTimeField(allow_null=True)
    submitted_by = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    return_comment = serializers.CharField(allow_blank=True)
    signer = serializers.CharField(allow_null=True)
    signed_off_at = serializers.DateTimeField(allow_null=True)
    issued_by = serializers.CharField(allow_null=True)
    issued_at = serializers.DateTimeField(allow_null=True)
    actions = serializers.ListField(child=serializers.CharField())

    def to_representation(self, opinion: PostQuakeOpinion) -> dict[str, Any]:
        return opinion_payload(opinion, self.context["request"])


class CaseOutputSerializer(serializers.Serializer):
    """A case with its draft; ``draft.parameters.source`` says generic or fitted."""

    id = serializers.IntegerField()
    event = serializers.CharField()
    bureau = serializers.CharField()
    opened_at = serializers.DateTimeField()
    clock_start = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField(allow_null=True)
    draft_status = serializers.CharField()
    draft_error = serializers.CharField(help_text="Why the draft failed (draft_status failed); else empty.")
    draft = serializers.JSONField()
    opinions = OpinionOutputSerializer(many=True)
    url = serializers.URLField()

    def to_representation(self, case: PostQuakeCase) -> dict[str, Any]:
        request = self.context["request"]
        return {
            "id": case.pk,
            "event": case.event.public_id,
            "bureau": case.bureau.code,
            "opened_at": case.opened_at.isoformat(),
            "clock_start": case.clock_start.isoformat(),
            "deadline": case.due_at.isoformat(),
            "status": case.state,
            "issued_at": case.issued_at.isoformat() if case.issued_at else None,
            "draft_status": case.draft_status,
            "draft_error": case.draft_error,
            "draft": _draft(case.draft or {}),
            "opinions": [opinion_payload(opinion, request) for opinion in _opinions(request, case)],
            "url": request.build_absolute_uri(case.get_absolute_url()),
        }


def _opinions(request: Request, case: PostQuakeCase) -> list[PostQuakeOpinion]:
    opinions = list(selectors.opinion_list(actor=request.actor, case=case))
    for opinion in opinions:
        opinion.case = case  # read once, not once per opinion
    return opinions


def _draft(draft: dict[str, Any]) -> dict[str, Any]:
    """The issue's summary keys first, then every section as computed."""
    if not draft:
        return {}
    probabilities = draft.get("probabilities") or {}
    fitted = probabilities.get("fitted") or None
    chosen = fitted or probabilities
    return {
        "sequence_type": (draft.get("sequence_type") or {}).get("type"),
        "bath_max_aftershock": (draft.get("bath") or {}).get("max_aftershock"),
        "probabilities": chosen.get("probabilities", []),
        "parameters": chosen.get("parameters"),
        "analogues": (draft.get("analogues") or {}).get("analogues", []),
        "sections": draft,
    }


class CaseListApi(TenantApi):
    """The post-quake cases the reader may see, newest first."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        bureau = serializers.RegexField(
            BUREAU_CODE, required=False, help_text="bureau code: that bureau's cases (of those you may see)"
        )
        status = serializers.ChoiceField(choices=CaseState.choices, required=False)

    @extend_schema(operation_id="postquake_cases_list", responses=CaseOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        cases = selectors.case_list(
            actor=request.actor, state=filters.get("status"), bureau=filters.get("bureau")
        )
        return self.paginate(request, cases, CaseOutputSerializer)


class CaseDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(operation_id="postquake_cases_retrieve", responses=CaseOutputSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(actor=request.actor, case_id=case_id)
        return Response(CaseOutputSerializer(case, context={"request": request}).data)


class CaseTransitionApi(TenantApi):
    """POST: close the case (the chair): 200 with the case, 403 for anyone else, 409 when it
    is closed already, 400 for an unknown action."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["close"])
        comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    @extend_schema(
        operation_id="postquake_cases_transition", request=InputSerializer, responses=CaseOutputSerializer
    )
    def post(self, request: Request, case_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        case = selectors.case_get(actor=request.actor, case_id=case_id)
        case_transition(
            actor=request.actor, case=case, action=data["action"], comment=data.get("comment", "")
        )
        case = selectors.case_get(actor=request.actor, case_id=case_id)
        return Response(CaseOutputSerializer(case, context={"request": request}).data)


class OpinionDetailApi(TenantApi):
    """GET: one opinion. PUT: the chair's text and judgement of a proposed opinion (fields
    left out stay; ``refill``: back to the draft's prefill); 409 once submitted or issued."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(required=False, allow_blank=True, max_length=opinion_services.TEXT_MAX)
        sequence_type = serializers.ChoiceField(choices=["", *SEQUENCE_TYPES], required=False)
        expected_max_magnitude = portal_fields.FloatField(
            required=False, allow_null=True, min_value=0.0, max_value=opinion_services.MAGNITUDE_MAX
        )
        refill = serializers.BooleanField(required=False, default=False)

    @extend_schema(operation_id="postquake_opinions_retrieve", responses=OpinionOutputSerializer)
    def get(self, request: Request, case_id: int, number: int) -> Response:
        opinion = selectors.opinion_get(actor=request.actor, case_id=case_id, number=number)
        return Response(OpinionOutputSerializer(opinion, context={"request": request}).data)

    @extend_schema(
        operation_id="postquake_opinions_update", request=InputSerializer, responses=OpinionOutputSerializer
    )
    def put(self, request: Request, case_id: int, number: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        opinion = selectors.opinion_get(actor=request.actor, case_id=case_id, number=number)
        opinion_edit(actor=request.actor, opinion=opinion, data=data)
        opinion = selectors.opinion_get(actor=request.actor, case_id=case_id, number=number)
        return Response(OpinionOutputSerializer(opinion, context={"request": request}).data)


class OpinionTransitionApi(TenantApi):
    """POST: move the opinion (issue, submit, sign_off, return): 200 with the opinion."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(opinion_services.ACTIONS))
        comment = serializers.CharField(
            required=False, allow_blank=True, max_length=opinion_services.COMMENT_MAX
        )

    @extend_schema(
        operation_id="postquake_opinions_transition",
        request=InputSerializer,
        responses=OpinionOutputSerializer,
    )
    def post(self, request: Request, case_id: int, number: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        opinion = selectors.opinion_get(actor=request.actor, case_id=case_id, number=number)
        opinion_transition(
            actor=request.actor, opinion=opinion, action=data["action"], comment=data.get("comment", "")
        )
        opinion = selectors.opinion_get(actor=request.actor, case_id=case_id, number=number)
        return Response(OpinionOutputSerializer(opinion, context={"request": request}).data)


class SettingsSerializer(serializers.Serializer):
    """The bureau's post-quake settings. The shipped Reasenberg-Jones parameters are the generic
    California ones of Reasenberg and Jones (1989): a=-1.67, b=0.91, p=1.08, c=0.05 day."""

    R = settings_services.RANGES
    due_minutes = IntegerField(min_value=int(R["due_minutes"][0]), max_value=int(R["due_minutes"][1]))
    remind_minutes = IntegerField(
        min_value=int(R["remind_minutes"][0]), max_value=int(R["remind_minutes"][1])
    )
    rj_a = portal_fields.FloatField(min_value=R["rj_a"][0], max_value=R["rj_a"][1])
    rj_b = portal_fields.FloatField(min_value=R["rj_b"][0], max_value=R["rj_b"][1])
    rj_p = portal_fields.FloatField(min_value=R["rj_p"][0], max_value=R["rj_p"][1])
    rj_c = portal_fields.FloatField(min_value=R["rj_c"][0], max_value=R["rj_c"][1])
    min_fit_events = IntegerField(
        min_value=int(R["min_fit_events"][0]), max_value=int(R["min_fit_events"][1])
    )
    signoff_required = serializers.BooleanField()
    reevaluate_hours = serializers.ListField(
        child=IntegerField(
            min_value=settings_services.HOURS_RANGE[0], max_value=settings_services.HOURS_RANGE[1]
        ),
        max_length=settings_services.HOURS_MAX_COUNT,
    )
    reevaluate_magnitude = portal_fields.FloatField(
        min_value=R["reevaluate_magnitude"][0], max_value=R["reevaluate_magnitude"][1]
    )


def _settings(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SettingsSerializer().fields}


class SettingsApi(TenantApi):
    """GET: the bureau's post-quake settings (its members). PUT: change them (the bureau
    admin; fields left out stay); a value out of range is a 400 naming the field."""

    class InputSerializer(SettingsSerializer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False

    @extend_schema(operation_id="postquake_settings_retrieve", responses=SettingsSerializer)
    def get(self, request: Request) -> Response:
        if request.actor.bureau is None:
            raise InvalidInput(_("Choose a bureau first."), field="bureau")
        return Response(_settings(selectors.settings_for(bureau=request.actor.bureau)))

    @extend_schema(
        operation_id="postquake_settings_update", request=InputSerializer, responses=SettingsSerializer
    )
    def put(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        row = settings_services.postquake_settings_update(actor=request.actor, **data)
        return Response(_settings(row))


class PunctualityCaseSerializer(serializers.Serializer):
    """One case of the month: its deadline and when its first opinion was issued."""

    id = serializers.IntegerField()
    event = serializers.CharField()
    magnitude = portal_fields.FloatField(allow_null=True)
    place = serializers.CharField()
    bureau = serializers.CharField()
    clock_start = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    minutes = portal_fields.FloatField(
        allow_null=True, help_text="issued minus deadline, in minutes (negative: early); null: no opinion"
    )
    minutes_to_issue = portal_fields.FloatField(allow_null=True, help_text="issued minus clock start")
    on_time = serializers.BooleanField(allow_null=True)
    status = serializers.ChoiceField(choices=list(punctuality.STATUS_LABELS))
    url = serializers.CharField()

    def to_representation(self, row: punctuality.Row) -> dict[str, Any]:
        case = row.case
        return {
            "id": case.pk,
            "event": case.event.public_id,
            "magnitude": case.event.magnitude,
            "place": case.event.location_name,
            "bureau": case.bureau.code,
            "clock_start": case.clock_start.isoformat(),
            "deadline": case.due_at.isoformat(),
            "issued_at": case.issued_at.isoformat() if case.issued_at else None,
            "minutes": row.minutes,
            "minutes_to_issue": row.minutes_to_issue,
            "on_time": row.on_time,
            "status": row.status,
            "url": case.get_absolute_url(),
        }


class PunctualitySummarySerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    issued = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    still_open = serializers.IntegerField(help_text="no opinion yet (overdue included)")
    overdue = serializers.IntegerField(help_text="no opinion and past the deadline")
    closed_without_opinion = serializers.IntegerField()
    on_time_share = portal_fields.FloatField(allow_null=True, help_text="on time among the issued, 0-1")
    median_minutes = portal_fields.FloatField(
        allow_null=True, help_text="median of issued minus deadline (negative: early)"
    )
    median_minutes_to_issue = portal_fields.FloatField(allow_null=True)


class PunctualityOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (Beijing time): the cases whose clock started in it")
    summary = PunctualitySummarySerializer()
    cases = PunctualityCaseSerializer(many=True)

    def to_representation(self, report: punctuality.Report) -> dict[str, Any]:
        return {
            "month": report.month.strftime("%Y-%m"),
            "summary": report.summary,
            "cases": [PunctualityCaseSerializer(row).data for row in report.rows],
        }


class PunctualityApi(TenantApi):
    """The month's first opinions against their deadlines, with the summary (cases, on time,
    late, still open, median minutes); the cases the reader may see."""

    class FilterSerializer(serializers.Serializer):
        month = serializers.CharField(
            required=False, max_length=7, help_text="YYYY-MM (Beijing time); this month when left out"
        )

    @extend_schema(operation_id="postquake_cases_punctuality", responses=PunctualityOutputSerializer)
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        month = punctuality.parse_month(filters.get("month"))
        start, end = punctuality.month_bounds(month)
        cases = selectors.cases_of_month(actor=request.actor, start=start, end=end)
        report = punctuality.report(cases, month=month, now=timezone.now())
        return Response(PunctualityOutputSerializer(report).data)
