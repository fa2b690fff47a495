"""The data-sharing API (issue 16's contract: these names may be added to, not changed).

* ``/api/v1/datasets/``: the catalog (GET, filters); ``/api/v1/datasets/<id>/`` (GET; PATCH
  sets the level and the words, the owner's stewards and admins only).
* ``/api/v1/data-requests/``: GET the requests your bureau made (``side=mine``) or received
  (``side=to_me``), POST a new one; ``/api/v1/data-requests/<id>/`` (GET);
  ``/api/v1/data-requests/<id>/transitions/`` (POST ``{"action": "approve" | "refuse" |
  "revoke", "scope", "expires", "reason"}``).
* ``/api/v1/dataset-pushes/`` (GET, POST) and ``/api/v1/dataset-pushes/<id>/`` (GET),
  ``…/stop/`` (POST).

Not yours: 404; yours to read but not to decide: 403; a decided request: 409; bad input: 400
naming the field.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.models import TokenScope

from . import selectors
from .models import DataRequest, Dataset, DatasetKind, Frequency, Level, Push, Zone
from .services import datasets as dataset_services
from .services import pushes as push_services
from .services import request_workflow
from .services import requests as request_services

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .models import Grant

SIDES = [selectors.MINE, selectors.TO_ME]


class BureauRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()


class DatasetOutputSerializer(serializers.Serializer):
    id = portal_fields.IdField()
    bureau = BureauRefSerializer()
    kind = serializers.ChoiceField(choices=DatasetKind.choices)
    key = serializers.CharField(
        help_text='what it covers: "catalog", "station:<code>", "item:<code>", '
        '"method:<name>", "schedule:<id>", "report:<kind>"'
    )
    title_zh = serializers.CharField()
    title_en = serializers.CharField()
    description_zh = serializers.CharField()
    description_en = serializers.CharField()
    station = serializers.CharField(source="station.code", allow_null=True, default=None)
    item = serializers.CharField(source="item.code", allow_null=True, default=None)
    method = serializers.CharField()
    schedule = portal_fields.IdField(source="schedule_id", allow_null=True)
    report_kind = serializers.CharField()
    coverage = serializers.SerializerMethodField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    records = portal_fields.IntegerField(source="rows")
    update_frequency = serializers.ChoiceField(choices=Frequency.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    zone = serializers.ChoiceField(choices=Zone.choices)
    is_active = serializers.BooleanField()
    synced_at = portal_fields.DateTimeField(allow_null=True)

    @extend_schema_field({"type": "object", "nullable": True, "description": "GeoJSON geometry (WGS 84)"})
    def get_coverage(self, dataset: Dataset) -> Any:
        return json.loads(dataset.coverage.geojson) if dataset.coverage is not None else None


class GrantOutputSerializer(serializers.Serializer):
    id = portal_fields.IdField()
    dataset = portal_fields.IdField(source="dataset_id")
    grantee = serializers.CharField(source="grantee.code")
    request = portal_fields.IdField(source="request_id", allow_null=True)
    push = portal_fields.IdField(source="push_id", allow_null=True)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    channels = serializers.ListField(child=portal_fields.IdField(), source="channel_ids")
    expires_at = portal_fields.DateTimeField(allow_null=True)
    revoked_at = portal_fields.DateTimeField(allow_null=True)
    created_at = portal_fields.DateTimeField()


class DatasetDetailOutputSerializer(DatasetOutputSerializer):
    my_grants = serializers.SerializerMethodField(help_text="the live grants of it to your bureau")

    @extend_schema_field(GrantOutputSerializer(many=True))
    def get_my_grants(self, dataset: Dataset) -> list[dict[str, Any]]:
        grants: list[Grant] = self.context.get("grants", [])
        return list(GrantOutputSerializer(grants, many=True).data)


class DatasetListApi(TenantApi):
    """GET: the datasets you may see (a dataset not shared: only your bureau's), paginated."""

    token_scopes = {"GET": TokenScope.DATASETS_READ}

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=DatasetKind.choices, required=False)
        bureau = serializers.CharField(required=False, max_length=16, help_text="bureau code, e.g. JX")
        zone = serializers.ChoiceField(choices=Zone.choices, required=False)
        level = serializers.ChoiceField(choices=Level.choices, required=False)
        q = serializers.CharField(
            required=False, max_length=100, help_text="words of the title or description"
        )
        page = portal_fields.IntegerField(required=False, min_value=1)
        page_size = portal_fields.IntegerField(required=False, min_value=1)

    @extend_schema(responses=DatasetOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        found = self.filters(request)
        datasets = selectors.dataset_list(
            actor=request.actor,
            kind=found.get("kind", ""),
            bureau=found.get("bureau", ""),
            zone=found.get("zone", ""),
            level=found.get("level", ""),
            text=found.get("q", ""),
        )
        return self.paginate(request, datasets, DatasetOutputSerializer)


class DatasetUpdateInputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    zone = serializers.ChoiceField(choices=Zone.choices, required=False)
    update_frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    title_zh = serializers.CharField(required=False, max_length=200)
    title_en = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description_zh = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    description_en = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class DatasetDetailApi(TenantApi):
    """GET one dataset (with your bureau's live grants of it). PATCH: set its level (and
    zone, update frequency, titles, descriptions): its bureau's stewards and admins (403
    otherwise; 404 when you do not see it)."""

    token_scopes = {"GET": TokenScope.DATASETS_READ}

    def _out(self, request: Request, dataset: Dataset) -> dict[str, Any]:
        grants = selectors.my_grants(actor=request.actor, dataset=dataset, now=timezone.now())
        return dict(DatasetDetailOutputSerializer(dataset, context={"grants": grants}).data)

    @extend_schema(responses=DatasetDetailOutputSerializer)
    def get(self, request: Request, dataset_id: int) -> Response:
        dataset = selectors.dataset_get(actor=request.actor, dataset_id=dataset_id)
        return Response(self._out(request, dataset))

    @extend_schema(request=DatasetUpdateInputSerializer, responses=DatasetDetailOutputSerializer)
    def patch(self, request: Request, dataset_id: int) -> Response:
        data = self.parse(DatasetUpdateInputSerializer, request.data)
        dataset = selectors.dataset_get(actor=request.actor, dataset_id=dataset_id)
        dataset = dataset_services.dataset_update(actor=request.actor, dataset=dataset, **data)
        return Response(self._out(request, dataset))


# --- requests -----------------------------------------------------------------------------


class ScopeSerializer(serializers.Serializer):
    period_start = portal_fields.WorkDateField(
        required=False, allow_null=True, help_text="first day (inclusive)"
    )
    period_end = portal_fields.WorkDateField(
        required=False, allow_null=True, help_text="last day (inclusive)"
    )
    channels = serializers.ListField(
        child=portal_fields.IdField(),
        required=False,
        max_length=500,
        help_text="channel ids of a series dataset; empty or absent: all of its channels",
    )


def _scope(data: dict[str, Any] | None) -> request_services.Scope:
    data = data or {}
    return request_services.Scope(
        period_start=data.get("period_start"),
        period_end=data.get("period_end"),
        channels=tuple(data.get("channels") or ()),
    )


class DataRequestOutputSerializer(serializers.Serializer):
    id = portal_fields.IdField()
    dataset = portal_fields.IdField(source="dataset_id")
    dataset_title = serializers.CharField(source="dataset.title_zh")
    owner = serializers.CharField(source="bureau.code", help_text="the bureau asked")
    requester = serializers.CharField(source="requester_bureau.code", help_text="the bureau asking")
    requested_by = serializers.CharField(source="requested_by.label", allow_null=True, default=None)
    purpose = serializers.CharField()
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    channels = serializers.ListField(child=portal_fields.IdField(), source="channel_ids")
    state = serializers.ChoiceField(choices=DataRequest.State.choices)
    due_at = portal_fields.DateTimeField()
    overdue = serializers.SerializerMethodField()
    escalated_at = portal_fields.DateTimeField(allow_null=True)
    decided_at = portal_fields.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    created_at = portal_fields.DateTimeField()

    @extend_schema_field(serializers.BooleanField(help_text="pending and past its deadline"))
    def get_overdue(self, request: DataRequest) -> bool:
        return request.is_overdue(timezone.now())


class DataRequestDetailOutputSerializer(DataRequestOutputSerializer):
    grant = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="the transitions you may make now")

    @extend_schema_field(GrantOutputSerializer(allow_null=True))
    def get_grant(self, request: DataRequest) -> dict[str, Any] | None:
        grant = self.context.get("grant")
        return dict(GrantOutputSerializer(grant).data) if grant is not None else None

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=request_workflow.PERSON_ACTIONS))
    )
    def get_actions(self, request: DataRequest) -> list[str]:
        return list(self.context.get("actions", []))


class DataRequestCreateInputSerializer(ScopeSerializer):
    dataset = portal_fields.IdField()
    purpose = serializers.CharField(max_length=2000)


class DataRequestListApi(TenantApi):
    """GET: requests your bureau made (``side=mine``), received (``side=to_me``) or both,
    newest first. POST: ask for a dataset offered on request by another bureau (201); 403
    for your own bureau's, one open to all or not shared; 404 for one you do not see."""

    token_scopes = {"GET": TokenScope.DATASETS_READ, "POST": TokenScope.DATA_REQUESTS_SUBMIT}

    class FilterSerializer(serializers.Serializer):
        side = serializers.ChoiceField(choices=SIDES, required=False)
        state = serializers.ChoiceField(choices=DataRequest.State.choices, required=False)
        overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
        page = portal_fields.IntegerField(required=False, min_value=1)
        page_size = portal_fields.IntegerField(required=False, min_value=1)

    @extend_schema(responses=DataRequestOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        found = self.filters(request)
        rows = selectors.request_list(
            actor=request.actor,
            side=found.get("side", ""),
            state=found.get("state", ""),
            overdue=found.get("overdue"),
            now=timezone.now(),
        )
        return self.paginate(request, rows, DataRequestOutputSerializer)

    @extend_schema(
        request=DataRequestCreateInputSerializer, responses={201: DataRequestDetailOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = self.parse(DataRequestCreateInputSerializer, request.data)
        dataset = selectors.dataset_get(actor=request.actor, dataset_id=data["dataset"])
        made = request_services.request_create(
            actor=request.actor, dataset=dataset, purpose=data["purpose"], scope=_scope(data)
        )
        return Response(_request_out(request, made), status=status.HTTP_201_CREATED)


def _request_out(request: Request, data_request: DataRequest) -> dict[str, Any]:
    context = {
        "grant": selectors.request_grant(request=data_request),
        "actions": request_workflow.allowed_actions(request.actor, data_request),
    }
    return dict(DataRequestDetailOutputSerializer(data_request, context=context).data)


class DataRequestDetailApi(TenantApi):
    """GET one request: the bureau asked and the bureau asking read it; others 404."""

    token_scopes = {"GET": TokenScope.DATASETS_READ}

    @extend_schema(responses=DataRequestDetailOutputSerializer)
    def get(self, request: Request, request_id: int) -> Response:
        found = selectors.request_get(actor=request.actor, request_id=request_id)
        return Response(_request_out(request, found))


class DataRequestTransitionApi(TenantApi):
    """``POST {"action": "approve" | "refuse" | "revoke", "scope", "expires", "reason"}``.

    ``approve`` may narrow the scope asked for (``scope``: a part of the period, some of the
    channels; wider is 400) and set ``expires`` (in the future, within five years; absent:
    until revoked); ``refuse`` needs a ``reason`` (400 without); ``revoke`` ends an approved
    request's grant at once. The bureau asked's data stewards and admins only: the bureau
    asking gets 403, another 404; a request already decided is 409."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=request_workflow.PERSON_ACTIONS)
        scope = ScopeSerializer(
            required=False,
            allow_null=True,
            help_text="approve only: the part granted; a bound or the channels not given stay as asked",
        )
        expires = portal_fields.DateTimeField(required=False, allow_null=True, help_text="approve only")
        reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(request=InputSerializer, responses=DataRequestDetailOutputSerializer)
    def post(self, request: Request, request_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        found = selectors.request_get(actor=request.actor, request_id=request_id)
        scope = _scope(data["scope"]) if data.get("scope") is not None else None
        moved = request_services.request_transition(
            actor=request.actor,
            request=found,
            action=data["action"],
            scope=scope,
            expires=data.get("expires"),
            reason=data.get("reason", ""),
        )
        return Response(_request_out(request, moved))


# --- pushes -------------------------------------------------------------------------------


class PushOutputSerializer(serializers.Serializer):
    id = portal_fields.IdField()
    dataset = portal_fields.IdField(source="dataset_id")
    dataset_title = serializers.CharField(source="dataset.title_zh")
    owner = serializers.CharField(source="bureau.code")
    bureaus = serializers.SerializerMethodField(help_text="the bureaus it goes to")
    note = serializers.CharField()
    state = serializers.ChoiceField(choices=Push.State.choices)
    created_at = portal_fields.DateTimeField()
    stopped_at = portal_fields.DateTimeField(allow_null=True)
    last_announced_at = portal_fields.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_bureaus(self, push: Push) -> list[str]:
        return sorted(grant.grantee.code for grant in push.grants.all())


class PushCreateInputSerializer(serializers.Serializer):
    dataset = portal_fields.IdField()
    bureaus = serializers.ListField(
        child=serializers.CharField(max_length=16), min_length=1, max_length=60, help_text="bureau codes"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PushListApi(TenantApi):
    """GET: pushes your bureau makes (``side=mine``), receives (``side=to_me``) or both.
    POST: push one of your bureau's datasets to bureaus (201): a standing grant to each and a
    notice when new data arrive; stewards and admins of the dataset's bureau only (403)."""

    token_scopes = {"GET": TokenScope.DATASETS_READ}

    class FilterSerializer(serializers.Serializer):
        side = serializers.ChoiceField(choices=SIDES, required=False)
        page = portal_fields.IntegerField(required=False, min_value=1)
        page_size = portal_fields.IntegerField(required=False, min_value=1)

    @extend_schema(responses=PushOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        found = self.filters(request)
        return self.paginate(
            request,
            selectors.push_list(actor=request.actor, side=found.get("side", "")),
            PushOutputSerializer,
        )

    @extend_schema(request=PushCreateInputSerializer, responses={201: PushOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(PushCreateInputSerializer, request.data)
        dataset = selectors.dataset_get(actor=request.actor, dataset_id=data["dataset"])
        push = push_services.push_create(
            actor=request.actor, dataset=dataset, bureaus=data["bureaus"], note=data.get("note", "")
        )
        return Response(
            PushOutputSerializer(selectors.push_get(actor=request.actor, push_id=push.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class PushDetailApi(TenantApi):
    """GET one push: its bureau and the bureaus it goes to read it; others 404."""

    token_scopes = {"GET": TokenScope.DATASETS_READ}

    @extend_schema(responses=PushOutputSerializer)
    def get(self, request: Request, push_id: int) -> Response:
        return Response(PushOutputSerializer(selectors.push_get(actor=request.actor, push_id=push_id)).data)


class PushStopApi(TenantApi):
    """POST: stop pushing (its grants end now). The pushing bureau's stewards and admins
    (a bureau it goes to: 403); a stopped push: 409."""

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(request=InputSerializer, responses=PushOutputSerializer)
    def post(self, request: Request, push_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        push = selectors.push_get(actor=request.actor, push_id=push_id)
        push_services.push_stop(actor=request.actor, push=push, comment=data.get("comment", ""))
        return Response(PushOutputSerializer(selectors.push_get(actor=request.actor, push_id=push_id)).data)
