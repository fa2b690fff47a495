"""The quality-control API: a channel's checked days with their flags and current review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.exceptions import InvalidInput
from portal.models import TokenScope
from portal.schema import PortalAutoSchema

from . import qc_selectors, series_selectors

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .models import QcDay

MAX_QC_DAYS = 400  # a year and a month of days in one answer


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


class QcFlagSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="gap, spike, step, flat, out_of_range, timestamp, departure or marked (by a person)"
    )
    start = serializers.DateTimeField(help_text="UTC, first sample of the span")
    end = serializers.DateTimeField(help_text="UTC, exclusive")
    value = portal_fields.FloatField(
        allow_null=True,
        help_text="gap: missing samples; spike: departure from the moving median; step: the jump; "
        "flat: the repeated value; out_of_range: the worst value; timestamp: samples after the "
        "check; departure: |STA - LTA| / spread",
    )
    verdict = serializers.CharField(
        allow_blank=True, help_text="blank until a person reviews; fault, interference or ok"
    )


class QcReviewSerializer(serializers.Serializer):
    verdict = serializers.CharField(help_text="fault, interference or ok")
    cause = serializers.CharField(allow_blank=True, help_text="interference cause, blank otherwise")
    comment = serializers.CharField(allow_blank=True)
    reviewed_by = serializers.CharField(help_text="the reviewer's name")
    reviewed_at = serializers.DateTimeField()


class QcDaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField(help_text="the UTC day")
    availability = portal_fields.FloatField(
        help_text="% of the samples expected (up to the time of the check)"
    )
    gaps = serializers.IntegerField(help_text="number of runs of missing samples")
    spikes = serializers.ListField(child=serializers.DateTimeField(), help_text="spike times, ISO 8601 UTC")
    steps = serializers.IntegerField(help_text="number of steps")
    flat = serializers.IntegerField(help_text="number of flat lines")
    out_of_range = serializers.IntegerField(help_text="samples outside the plausible range")
    timestamp_faults = serializers.IntegerField(help_text="samples stamped after the time of the check")
    departure = portal_fields.FloatField(
        allow_null=True, help_text="|day mean - LTA| / LTA spread; null until the long term is known"
    )
    departure_alarm = serializers.BooleanField()
    flagged = serializers.BooleanField(help_text="a person should look at the day")
    status = serializers.CharField(help_text="auto (the machine's word) or reviewed (a person's)")
    checked_at = serializers.DateTimeField()
    review = QcReviewSerializer(allow_null=True, help_text="the latest review still in force, or null")
    flags = QcFlagSerializer(many=True)


def qc_day_as_dict(day: QcDay) -> dict[str, Any]:
    review = qc_selectors.current_review(day)
    return {
        "id": day.pk,
        "date": day.day.isoformat(),
        "availability": day.availability,
        "gaps": day.gaps,
        "spikes": list(day.spikes),
        "steps": day.steps,
        "flat": day.flat,
        "out_of_range": day.out_of_range,
        "timestamp_faults": day.timestamp_faults,
        "departure": day.departure,
        "departure_alarm": day.departure_alarm,
        "flagged": day.flagged,
        "status": day.status,
        "checked_at": _iso(day.checked_at),
        "review": None
        if review is None
        else {
            "verdict": review.verdict,
            "cause": review.cause,
            "comment": review.comment,
            "reviewed_by": review.reviewed_by.label,
            "reviewed_at": _iso(review.reviewed_at),
        },
        "flags": [
            {
                "kind": flag.kind,
                "start": _iso(flag.start),
                "end": _iso(flag.end),
                "value": flag.value,
                "verdict": flag.verdict,
            }
            for flag in day.flags.all()
        ],
    }


class _PlainListSchema(PortalAutoSchema):
    """The days come as a plain list (the contract of issue 12), bounded by MAX_QC_DAYS, not
    as the paginated envelope of the other lists."""

    def _get_paginator(self) -> Any:
        return None


class QcDayListApi(TenantApi):
    """A channel's quality control, one entry per checked UTC day from ``start`` to ``end``
    (both included, at most 400 days), by date. Days not checked yet are absent. A channel
    of another bureau is 404."""

    token_scopes = {"GET": TokenScope.SERIES_READ}

    schema = _PlainListSchema()

    class FilterSerializer(serializers.Serializer):
        channel = portal_fields.IdField()
        start = portal_fields.WorkDateField(help_text="first UTC day, YYYY-MM-DD")
        end = portal_fields.WorkDateField(help_text="last UTC day (included), YYYY-MM-DD")

    @extend_schema(
        responses={
            200: QcDaySerializer(many=True),
            400: OpenApiResponse(description="a parameter is missing or wrong; the message names it"),
            404: OpenApiResponse(description="no such channel that you may see"),
        }
    )
    def get(self, request: Request) -> Response:
        query = self.filters(request)
        start, end = query["start"], query["end"]
        if end < start:
            raise InvalidInput(_("end must not be before start."), field="end")
        if (end - start).days + 1 > MAX_QC_DAYS:
            raise InvalidInput(
                _("At most %(days)d days can be read at once.") % {"days": MAX_QC_DAYS}, field="end"
            )
        channel = series_selectors.series_channel_get(actor=request.actor, channel_id=query["channel"])
        days = qc_selectors.qc_days(actor=request.actor, channel=channel, start=start, end=end)
        return Response([qc_day_as_dict(day) for day in days])
