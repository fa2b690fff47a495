"""The flow store's API (/api/v1/..., issue 14; names may be added to, never changed):

* ``POST flows/<id>/publish/`` ``{title?, description_zh, description_en, inputs: [{node,
  param, label}], inputs_note, note}`` → 201 the entry (a new version), 200 when the
  definition was already published (only the words changed);
* ``GET flow-store/`` (paginated; ``q``, ``discipline``, ``node_type``, ``bureau`` (a code or
  ``builtin``), ``sort`` newest|rating|installs; featured first), ``GET flow-store/<id>/``;
* ``POST flow-store/<id>/install/`` ``{name?, params?: {"<node>.<param>": value}}`` → 201
  ``{flow, to_fill}`` (the copy in the installer's bureau, triggers off);
* ``GET``/``POST flow-store/<id>/ratings/`` ``{stars 1-5, comment}`` → 201 (200 replacing
  the person's earlier rating);
* ``POST flow-store/<id>/feature/`` ``{featured}`` (a system admin);
* ``POST flow-store/<id>/screenshots/`` multipart ``file`` (+ ``caption``) → 201;
* ``POST flows/<id>/update-from-store/`` ``{params?}`` → 200 the flow (a new version when
  the store has a newer one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi

from . import selectors
from .apis import FlowSerializer, _invalid
from .services import store as store_services
from .validation import FlowInvalid

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .models import StoreEntry, StoreRating


class StoreInputSerializer(serializers.Serializer):
    node = serializers.CharField(max_length=40)
    param = serializers.CharField(max_length=64)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class StoreEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    bureau = serializers.CharField(allow_null=True, help_text="the publishing bureau's code; null: built in")
    builtin = serializers.BooleanField()
    description_zh = serializers.CharField()
    description_en = serializers.CharField()
    inputs = StoreInputSerializer(many=True)
    inputs_note = serializers.CharField()
    node_types = serializers.ListField(child=serializers.CharField())
    disciplines = serializers.ListField(child=serializers.CharField())
    featured = serializers.BooleanField()
    version = serializers.IntegerField(allow_null=True)
    installs = serializers.IntegerField(help_text="how many bureaus use it")
    rating = portal_fields.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField()

    def to_representation(self, entry: StoreEntry) -> dict[str, Any]:
        latest = selectors.store_version_latest(entry=entry)
        rating = getattr(entry, "rating_avg", None)  # annotated by store_entry_list
        return {
            "id": entry.pk,
            "title": entry.title,
            "bureau": entry.bureau.code if entry.bureau else None,
            "builtin": entry.is_builtin,
            "description_zh": entry.description_zh,
            "description_en": entry.description_en,
            "inputs": entry.inputs,
            "inputs_note": entry.inputs_note,
            "node_types": entry.node_types,
            "disciplines": entry.disciplines,
            "featured": entry.featured,
            "version": latest.number if latest else None,
            "installs": getattr(entry, "install_count", 0),
            "rating": round(float(rating), 2) if rating is not None else None,
            "rating_count": getattr(entry, "rating_count", 0),
            "created_at": entry.created_at.isoformat(),
            "url": entry.get_absolute_url(),
        }


class StoreVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    definition = serializers.JSONField()


class StoreEntryDetailSerializer(StoreEntrySerializer):
    versions = StoreVersionSerializer(many=True)
    definition = serializers.JSONField(help_text="the latest version's definition")
    screenshots = serializers.ListField(child=serializers.DictField())

    def to_representation(self, entry: StoreEntry) -> dict[str, Any]:
        data = super().to_representation(entry)
        versions = list(selectors.store_versions(entry=entry))
        data["versions"] = [
            {
                "number": v.number,
                "note": v.note,
                "created_at": v.created_at.isoformat(),
                "definition": v.definition,
            }
            for v in versions
        ]
        data["definition"] = versions[0].definition if versions else None
        data["screenshots"] = [
            {
                "id": shot.pk,
                "caption": shot.caption,
                "url": reverse("flows:store-screenshot", args=[entry.pk, shot.pk]),
            }
            for shot in selectors.store_screenshots(entry=entry)
        ]
        return data


class RatingSerializer(serializers.Serializer):
    stars = serializers.IntegerField()
    comment = serializers.CharField()
    person = serializers.CharField()
    bureau = serializers.CharField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, rating: StoreRating) -> dict[str, Any]:
        return {
            "stars": rating.stars,
            "comment": rating.comment,
            "person": rating.user.get_full_name() or rating.user.username,
            "bureau": rating.bureau.code,
            "updated_at": rating.updated_at.isoformat(),
        }


class InstallSerializer(serializers.Serializer):
    flow = FlowSerializer()
    to_fill = serializers.ListField(child=serializers.DictField())


class FlowPublishApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
        description_zh = serializers.CharField(required=False, allow_blank=True, default="", max_length=8000)
        description_en = serializers.CharField(required=False, allow_blank=True, default="", max_length=8000)
        inputs = StoreInputSerializer(
            many=True, required=False, help_text="absent: the entry's inputs so far (where they still apply)"
        )
        inputs_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(
        operation_id="flows_publish",
        request=InputSerializer,
        responses={201: StoreEntryDetailSerializer, 200: StoreEntryDetailSerializer},
    )
    def post(self, request: Request, flow_id: int) -> Response:
        flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
        data = self.parse(self.InputSerializer, request.data)
        entry, created = store_services.store_publish(actor=request.actor, flow=flow, **data)
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry.pk)
        return Response(
            StoreEntryDetailSerializer(entry).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class StoreEntryListApi(TenantApi):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False, max_length=100, help_text="words of the title or description"
        )
        discipline = serializers.CharField(required=False, max_length=32)
        node_type = serializers.CharField(required=False, max_length=64)
        bureau = serializers.CharField(required=False, max_length=32, help_text="a bureau code, or builtin")
        sort = serializers.ChoiceField(
            choices=["newest", "rating", "installs"], required=False, default="newest"
        )

    @extend_schema(operation_id="flow_store_list", responses=StoreEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        entries = selectors.store_entry_list(
            actor=request.actor,
            search=filters.get("q", ""),
            discipline=filters.get("discipline", ""),
            node_type=filters.get("node_type", ""),
            bureau=filters.get("bureau", ""),
            sort=filters["sort"],
        )
        return self.paginate(request, entries, StoreEntrySerializer)


class StoreEntryDetailApi(TenantApi):
    @extend_schema(operation_id="flow_store_retrieve", responses=StoreEntryDetailSerializer)
    def get(self, request: Request, entry_id: int) -> Response:
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
        return Response(StoreEntryDetailSerializer(entry).data)


class StoreInstallApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
        params = serializers.DictField(
            required=False, default=dict, help_text='the inputs to fill, {"<node>.<param>": value}'
        )

    @extend_schema(
        operation_id="flow_store_install", request=InputSerializer, responses={201: InstallSerializer}
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
        data = self.parse(self.InputSerializer, request.data)
        try:
            install, to_fill = store_services.store_install(actor=request.actor, entry=entry, **data)
        except FlowInvalid as exc:
            return _invalid(exc)
        flow = selectors.flow_get(actor=request.actor, flow_id=install.flow_id)
        return Response(
            {"flow": FlowSerializer(flow).data, "to_fill": to_fill}, status=status.HTTP_201_CREATED
        )


class StoreRatingListApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        stars = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(operation_id="flow_store_ratings_list", responses=RatingSerializer(many=True))
    def get(self, request: Request, entry_id: int) -> Response:
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
        return self.paginate(request, selectors.store_ratings(entry=entry), RatingSerializer)

    @extend_schema(
        operation_id="flow_store_ratings_create",
        request=InputSerializer,
        responses={201: RatingSerializer, 200: RatingSerializer},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
        data = self.parse(self.InputSerializer, request.data)
        rating, created = store_services.store_rate(actor=request.actor, entry=entry, **data)
        return Response(
            RatingSerializer(rating).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class StoreFeatureApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        featured = serializers.BooleanField()

    @extend_schema(operation_id="flow_store_feature", request=InputSerializer, responses=StoreEntrySerializer)
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
        data = self.parse(self.InputSerializer, request.data)
        store_services.store_feature(actor=request.actor, entry=entry, featured=data["featured"])
        return Response(
            StoreEntrySerializer(selectors.store_entry_get(actor=request.actor, entry_id=entry_id)).data
        )


class StoreScreenshotApi(TenantApi):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        caption = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(
        operation_id="flow_store_screenshots_create",
        request={"multipart/form-data": InputSerializer},
        responses={201: StoreEntryDetailSerializer},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
        data = self.parse(self.InputSerializer, request.data)
        store_services.store_screenshot_add(
            actor=request.actor, entry=entry, upload=data["file"], caption=data["caption"]
        )
        return Response(StoreEntryDetailSerializer(entry).data, status=status.HTTP_201_CREATED)


class FlowUpdateFromStoreApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        params = serializers.DictField(
            required=False, default=dict, help_text='inputs to fill anew, {"<node>.<param>": value}'
        )

    @extend_schema(operation_id="flows_update_from_store", request=InputSerializer, responses=FlowSerializer)
    def post(self, request: Request, flow_id: int) -> Response:
        flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
        data = self.parse(self.InputSerializer, request.data)
        try:
            store_services.store_update_flow(actor=request.actor, flow=flow, params=data["params"] or None)
        except FlowInvalid as exc:
            return _invalid(exc)
        return Response(FlowSerializer(selectors.flow_get(actor=request.actor, flow_id=flow_id)).data)
