"""The QC review API: the bureau's queue of flagged days, and a person's review of a day (or
of several days of its channel at once).

``POST /api/v1/series/qc/<id>/review/`` answers the day as ``GET /api/v1/series/qc/`` shows
an item. There is no 409: a reviewed day may always be reviewed again (a correction, the
earlier review kept as history), so every state of a day accepts a review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.models import DisciplineCode, TokenScope

from . import qc_selectors, review_selectors
from .models import InterferenceFactor, QcDay, QcFlag, QcVerdict
from .services.qc_review import COMMENT_MAX, qc_review

if TYPE_CHECKING:
    from rest_framework.request import Request

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$"


class QcReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    verdict = serializers.ChoiceField(choices=QcVerdict.choices)
    cause = serializers.CharField(
        help_text="an interference factor, empty unless the verdict is interference"
    )
    comment = serializers.CharField()
    start = serializers.DateTimeField(allow_null=True, help_text="the span marked (UTC), or null")
    end = serializers.DateTimeField(allow_null=True)
    reviewed_by = serializers.CharField(source="reviewed_by.label")
    reviewed_at = serializers.DateTimeField()


class QcDayOutputSerializer(serializers.Serializer):
    """A channel-day as the QC list shows it, with its current review (null until reviewed)."""

    id = serializers.IntegerField()
    channel = serializers.IntegerField(source="channel_id")
    date = serializers.DateField(source="day", help_text="the UTC day")
    availability = portal_fields.FloatField(help_text="percent of the expected samples present")
    gaps = serializers.IntegerField(help_text="runs of missing samples")
    spikes = serializers.ListField(child=serializers.CharField(), help_text="spike times (ISO 8601, UTC)")
    steps = serializers.IntegerField()
    flat = serializers.IntegerField()
    out_of_range = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QcDay.Status.choices)
    review = serializers.SerializerMethodField()

    @extend_schema_field(QcReviewOutputSerializer(allow_null=True))
    def get_review(self, day: QcDay) -> dict[str, Any] | None:
        # the review in force, as GET /api/v1/series/qc/ shows it (a re-check supersedes one)
        review = qc_selectors.current_review(day)
        return dict(QcReviewOutputSerializer(review).data) if review is not None else None


class QcQueueApi(TenantApi):
    """``GET``: my bureau's flagged or reviewed days, not yet reviewed first, then the latest
    day first; filters by station code, discipline code, kind of flag, UTC days and status."""

    token_scopes = {"GET": TokenScope.SERIES_READ}

    class FilterSerializer(serializers.Serializer):
        station = serializers.RegexField(CODE_PATTERN, required=False, help_text="station code")
        discipline = serializers.ChoiceField(choices=DisciplineCode.choices, required=False)
        kind = serializers.ChoiceField(
            choices=QcFlag.Kind.choices, required=False, help_text="days with at least one flag of this kind"
        )
        status = serializers.ChoiceField(choices=QcDay.Status.choices, required=False)
        start = portal_fields.WorkDateField(required=False, help_text="first UTC day")
        end = portal_fields.WorkDateField(required=False, help_text="last UTC day (included)")

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
                raise serializers.ValidationError({"end": "end is on or after start."})
            return attrs

    @extend_schema(responses=QcDayOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        days = review_selectors.qc_queue(actor=request.actor, **filters)
        return self.paginate(request, days, QcDayOutputSerializer)


class QcReviewApi(TenantApi):
    """``POST``: review a QC day, and with ``days`` other days of its channel with the same
    verdict. ``verdict`` fault needs a comment and takes no cause; interference needs a cause
    (an interference factor, the list of the anomaly verification) and a comment; ok takes no
    cause. ``start``/``end`` (both or neither, end after start, within the days reviewed and a
    day either side) mark a span the machine did not flag. A fault tells the bureau admins."""

    class InputSerializer(serializers.Serializer):
        verdict = serializers.ChoiceField(choices=QcVerdict.choices)
        cause = serializers.ChoiceField(
            choices=InterferenceFactor.choices, required=False, default="", allow_blank=True
        )
        comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=COMMENT_MAX)
        start = portal_fields.DateTimeField(
            required=False, default=None, allow_null=True, help_text="ISO 8601"
        )
        end = portal_fields.DateTimeField(required=False, default=None, allow_null=True, help_text="ISO 8601")
        days = serializers.ListField(
            child=portal_fields.IdField(),
            required=False,
            default=list,
            max_length=review_selectors.BATCH_MAX - 1,
            help_text="ids of other QC days of the same channel, reviewed with this one",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: QcDayOutputSerializer,
            400: OpenApiResponse(description="Bad input; the message names the field."),
            403: OpenApiResponse(
                description="Not an expert of the channel's discipline nor the bureau admin."
            ),
            404: OpenApiResponse(description="No such QC day, or another bureau's."),
        },
    )
    def post(self, request: Request, qc_day_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        day = review_selectors.qc_day_get(actor=request.actor, qc_day_id=qc_day_id)
        qc_review(actor=request.actor, qc_day=day, **data)
        return Response(
            QcDayOutputSerializer(review_selectors.qc_day_get(actor=request.actor, qc_day_id=day.pk)).data
        )
