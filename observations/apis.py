"""The observations master-data API: stations (by code), channels (by id), observation
items, and the changes that are the only way to write them (propose, then a second admin
approves or rejects; the proposer may withdraw)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.apis_base import TenantApi
from portal.fields import IdField
from portal.models import TokenScope

from . import selectors
from .models import MasterDataChange, Station
from .serializers import (
    ChangeOutputSerializer,
    ChannelOutputSerializer,
    ItemOutputSerializer,
    StationDetailOutputSerializer,
    StationOutputSerializer,
)
from .services import changes as change_services

if TYPE_CHECKING:
    from rest_framework.request import Request

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$"


class ItemListApi(TenantApi):
    """``GET``: the observation items (测项) with their units, disciplines and code sources."""

    token_scopes = {"GET": TokenScope.STATIONS_READ}

    @extend_schema(responses=ItemOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginate(request, selectors.item_list(), ItemOutputSerializer)


class StationListApi(TenantApi):
    """``GET``: the stations I may read (my bureau's; every bureau's for national units)."""

    token_scopes = {"GET": TokenScope.STATIONS_READ}

    class FilterSerializer(serializers.Serializer):
        bureau = serializers.RegexField(CODE_PATTERN, required=False, help_text="bureau code")
        kind = serializers.ChoiceField(choices=Station.Kind.choices, required=False)
        status = serializers.ChoiceField(choices=Station.Status.choices, required=False)
        discipline = serializers.RegexField(
            r"^[a-z]{1,24}$", required=False, help_text="discipline code: stations with a channel of it"
        )

    @extend_schema(responses=StationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        stations = selectors.station_list(actor=request.actor, **filters)
        return self.paginate(request, stations, StationOutputSerializer)


class StationDetailApi(TenantApi):
    """``GET``: one station by its code, with its channels and instruments."""

    token_scopes = {"GET": TokenScope.STATIONS_READ}

    @extend_schema(responses=StationDetailOutputSerializer)
    def get(self, request: Request, station_code: str) -> Response:
        station = selectors.station_get(actor=request.actor, code=station_code)
        context = {
            "channels": selectors.station_channels(actor=request.actor, station=station),
            "instruments": selectors.station_instruments(station=station),
        }
        return Response(StationDetailOutputSerializer(station, context=context).data)


class ChannelListApi(TenantApi):
    """``GET``: the channels I may read; filters by station (code or id), item code,
    discipline code and bureau code."""

    token_scopes = {"GET": TokenScope.STATIONS_READ}

    class FilterSerializer(serializers.Serializer):
        station = serializers.RegexField(CODE_PATTERN, required=False, help_text="station code or id")
        item = serializers.RegexField(CODE_PATTERN, required=False, help_text="observation item code")
        discipline = serializers.RegexField(r"^[a-z]{1,24}$", required=False, help_text="discipline code")
        bureau = serializers.RegexField(CODE_PATTERN, required=False, help_text="bureau code")

    @extend_schema(responses=ChannelOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        channels = selectors.channel_list(actor=request.actor, **filters)
        return self.paginate(request, channels, ChannelOutputSerializer)


class ChannelDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.STATIONS_READ}

    @extend_schema(responses=ChannelOutputSerializer)
    def get(self, request: Request, channel_id: int) -> Response:
        channel = selectors.channel_get(actor=request.actor, channel_id=channel_id)
        return Response(ChannelOutputSerializer(channel).data)


class ChangeListApi(TenantApi):
    """``GET``: my bureau's master-data changes (``?state=``); ``POST``: propose one (bureau
    admins) — ``{"target", "action", "object_id"?, "values", "reason"}`` → 201."""

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=MasterDataChange.State.choices, required=False)

    class InputSerializer(serializers.Serializer):
        target = serializers.ChoiceField(choices=MasterDataChange.Target.choices)
        action = serializers.ChoiceField(choices=MasterDataChange.Action.choices)
        object_id = IdField(required=False, allow_null=True, default=None)
        values = serializers.DictField(
            required=False,
            default=dict,
            help_text="field → value: station code, name_zh, name_en, lon, lat, elevation_m, kind, "
            "status, opened_on, closed_on; instrument station, model, serial_number, installed_on, "
            "removed_on; channel station, item, orientation, instrument, unit, interval, "
            "plausible_min, plausible_max",
        )
        reason = serializers.CharField(max_length=2000)

    @extend_schema(responses=ChangeOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        changes = selectors.change_list(actor=request.actor, state=filters.get("state"))
        return self.paginate(request, changes, ChangeOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: ChangeOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        change = change_services.change_propose(actor=request.actor, **data)
        return Response(ChangeOutputSerializer(change).data, status=status.HTTP_201_CREATED)


class ChangeDetailApi(TenantApi):
    @extend_schema(responses=ChangeOutputSerializer)
    def get(self, request: Request, change_id: int) -> Response:
        change = selectors.change_get(actor=request.actor, change_id=change_id)
        return Response(ChangeOutputSerializer(change).data)


class ChangeTransitionApi(TenantApi):
    """``POST {"action": "approve"|"reject"|"withdraw", "comment"}``: decide a change.
    403 for the proposer approving (or anyone but a second admin), 404 for another
    bureau's change, 409 once decided, 400 when the values no longer hold."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=sorted(change_services.TRANSITION_SERVICES))
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses=ChangeOutputSerializer)
    def post(self, request: Request, change_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        change = selectors.change_get(actor=request.actor, change_id=change_id)
        service = change_services.TRANSITION_SERVICES[data["action"]]
        change = service(actor=request.actor, change=change, comment=data["comment"])
        return Response(ChangeOutputSerializer(change).data)
