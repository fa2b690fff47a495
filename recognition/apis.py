"""The recognition rules' API (/api/v1/recognition/rules/...).

* ``GET ""``: the bureau's rules with their counts (paginated; ``?discipline=``, ``?state=``);
  ``POST ""``: a new rule (201); 400 names the field (``params.<name>`` for a parameter);
* ``GET/PATCH <id>/``: one rule; change what is given;
* ``POST <id>/pause/``, ``<id>/resume/``: through the rule workflow (403 without the right,
  409 from the wrong state);
* ``POST <id>/run/``: evaluate now in a worker (202);
* ``GET <id>/detections/``: its detections with their anomaly and outcome (paginated).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.fields import IdField, IntegerField
from portal.models import DisciplineCode

from . import selectors, services
from .models import Detection, Direction, RecognitionRule, RuleState

if TYPE_CHECKING:
    from rest_framework.request import Request


class RuleOutputSerializer(serializers.Serializer):
    """A rule with its counts; the fields are declared for the schema."""

    id = serializers.IntegerField()
    bureau = serializers.CharField()
    name = serializers.CharField()
    discipline = serializers.CharField()
    method = serializers.CharField()
    params = serializers.JSONField()
    channels = serializers.ListField(child=serializers.IntegerField())
    item_code = serializers.CharField()
    window_days = serializers.IntegerField()
    threshold = portal_fields.FloatField(allow_null=True)
    direction = serializers.CharField()
    persist_days = serializers.IntegerField()
    state = serializers.CharField()
    detections = serializers.IntegerField()
    false_alarms = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    pending = serializers.IntegerField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField()

    def to_representation(self, rule: RecognitionRule) -> dict[str, Any]:
        request = self.context["request"]
        detections = getattr(rule, "n_detections", 0)
        false_alarms = getattr(rule, "n_false_alarms", 0)
        confirmed = getattr(rule, "n_confirmed", 0)
        return {
            "id": rule.pk,
            "bureau": rule.bureau.code,
            "name": rule.name,
            "discipline": rule.discipline.code,
            "method": rule.method,
            "params": rule.params,
            "channels": sorted(c.pk for c in rule.channels.all()),
            "item_code": rule.item_code,
            "window_days": rule.window_days,
            "threshold": rule.threshold,
            "direction": rule.direction,
            "persist_days": rule.persist_days,
            "state": rule.state,
            "detections": detections,
            "false_alarms": false_alarms,
            "confirmed": confirmed,
            "pending": detections - false_alarms - confirmed,
            "last_run_at": rule.last_run_at.isoformat() if rule.last_run_at else None,
            "url": request.build_absolute_uri(rule.get_absolute_url()),
        }


class DetectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.IntegerField()
    station = serializers.CharField()
    item = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    peak = portal_fields.FloatField(allow_null=True)
    run = serializers.IntegerField()
    anomaly = serializers.IntegerField()
    anomaly_state = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["pending", "false_alarm", "confirmed"])
    extended_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, d: Detection) -> dict[str, Any]:
        return {
            "id": d.pk,
            "channel": d.channel_id,
            "station": d.channel.station.code,
            "item": d.channel.item.code,
            "start": d.start.isoformat(),
            "end": d.end.isoformat(),
            "peak": d.peak,
            "run": d.run_id,
            "anomaly": d.anomaly_id,
            "anomaly_state": d.anomaly.state,
            "outcome": selectors.detection_outcome(d),
            "extended_at": d.extended_at.isoformat() if d.extended_at else None,
        }


class RuleInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    discipline = serializers.ChoiceField(choices=DisciplineCode.choices)
    method = serializers.CharField(max_length=32, help_text="a series method a rule can run")
    params = serializers.JSONField(required=False, default=dict)
    channels = serializers.ListField(child=IdField(), required=False, max_length=200)
    item_code = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    window_days = IntegerField(min_value=7, max_value=3660, required=False, default=90)
    threshold = portal_fields.FloatField(
        required=False, allow_null=True, default=None, min_value=-1e12, max_value=1e12
    )
    direction = serializers.ChoiceField(choices=Direction.choices, required=False, default=Direction.ABOVE)
    persist_days = IntegerField(min_value=1, max_value=365, required=False, default=3)


class RulePatchSerializer(RuleInputSerializer):
    name = serializers.CharField(max_length=120, required=False)
    discipline = serializers.ChoiceField(choices=DisciplineCode.choices, required=False)
    method = serializers.CharField(max_length=32, required=False)
    params = serializers.JSONField(required=False)
    item_code = serializers.CharField(max_length=16, required=False, allow_blank=True)
    window_days = IntegerField(min_value=7, max_value=3660, required=False)
    threshold = portal_fields.FloatField(required=False, allow_null=True, min_value=-1e12, max_value=1e12)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    persist_days = IntegerField(min_value=1, max_value=365, required=False)


class RuleListCreateApi(TenantApi):
    class FilterSerializer(serializers.Serializer):
        discipline = serializers.ChoiceField(choices=DisciplineCode.choices, required=False)
        state = serializers.ChoiceField(choices=RuleState.choices, required=False)

    @extend_schema(operation_id="recognition_rules_list", responses=RuleOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        rules = selectors.rule_list(
            actor=request.actor, discipline=filters.get("discipline"), state=filters.get("state")
        ).prefetch_related("channels")
        return self.paginate(request, rules, RuleOutputSerializer)

    @extend_schema(
        operation_id="recognition_rules_create",
        request=RuleInputSerializer,
        responses={201: RuleOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.parse(RuleInputSerializer, request.data)
        rule = services.rule_create(actor=request.actor, data=data)
        rule = selectors.rule_get(actor=request.actor, rule_id=rule.pk)
        return Response(
            RuleOutputSerializer(rule, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class RuleDetailApi(TenantApi):
    @extend_schema(operation_id="recognition_rules_retrieve", responses=RuleOutputSerializer)
    def get(self, request: Request, rule_id: int) -> Response:
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        return Response(RuleOutputSerializer(rule, context={"request": request}).data)

    @extend_schema(
        operation_id="recognition_rules_partial_update",
        request=RulePatchSerializer,
        responses=RuleOutputSerializer,
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        data = self.parse(RulePatchSerializer, request.data)
        services.rule_update(actor=request.actor, rule=rule, data=data)
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        return Response(RuleOutputSerializer(rule, context={"request": request}).data)


class _RuleMoveApi(TenantApi):
    move = staticmethod(services.rule_pause)

    def post(self, request: Request, rule_id: int) -> Response:
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        self.move(actor=request.actor, rule=rule)
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        return Response(RuleOutputSerializer(rule, context={"request": request}).data)


class RulePauseApi(_RuleMoveApi):
    move = staticmethod(services.rule_pause)

    @extend_schema(operation_id="recognition_rules_pause", request=None, responses=RuleOutputSerializer)
    def post(self, request: Request, rule_id: int) -> Response:
        return super().post(request, rule_id)


class RuleResumeApi(_RuleMoveApi):
    move = staticmethod(services.rule_resume)

    @extend_schema(operation_id="recognition_rules_resume", request=None, responses=RuleOutputSerializer)
    def post(self, request: Request, rule_id: int) -> Response:
        return super().post(request, rule_id)


class RuleRunApi(TenantApi):
    @extend_schema(operation_id="recognition_rules_run", request=None, responses={202: RuleOutputSerializer})
    def post(self, request: Request, rule_id: int) -> Response:
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        services.rule_run_now(actor=request.actor, rule=rule)
        return Response(
            RuleOutputSerializer(rule, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class RuleDetectionsApi(TenantApi):
    @extend_schema(operation_id="recognition_rules_detections", responses=DetectionSerializer(many=True))
    def get(self, request: Request, rule_id: int) -> Response:
        rule = selectors.rule_get(actor=request.actor, rule_id=rule_id)
        return self.paginate(request, selectors.rule_detections(rule=rule), DetectionSerializer)
