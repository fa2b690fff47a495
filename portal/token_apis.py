"""API of personal API tokens (``/api/v1/tokens/``): make one (its secret shown once), list
mine or, for a bureau admin, the bureau's, read one and its log, revoke one.

For people signed in (a session or the sign-in token): no operation here names a token
scope, so a personal token cannot make, list or revoke tokens (403).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from . import token_selectors, token_services
from .apis_base import TenantApi
from .fields import DateTimeField, IntegerField
from .models import ApiToken, TokenScope

if TYPE_CHECKING:
    from rest_framework.request import Request


class TokenOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code", help_text="code of the bureau it acts for")
    owner = serializers.CharField(source="owner.username")
    owner_name = serializers.CharField(source="owner.label")
    hint = serializers.CharField(help_text="the secret's first characters, to recognise it")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=TokenScope.choices))
    standing = serializers.ChoiceField(
        choices=ApiToken.Standing.choices, help_text="whether requests with it are accepted now"
    )
    rate_limit = serializers.SerializerMethodField(help_text="requests per minute")
    revoked_by = serializers.CharField(source="revoked_by.username", allow_null=True, default=None)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "hint",
            "bureau",
            "owner",
            "owner_name",
            "scopes",
            "standing",
            "expires_at",
            "rate_limit",
            "created_at",
            "last_used_at",
            "revoked_at",
            "revoked_by",
        ]

    def get_rate_limit(self, token: ApiToken) -> int:
        return token.rate_limit or int(settings.PERSONAL_TOKEN_RATE_LIMIT)


class TokenCreatedSerializer(TokenOutputSerializer):
    secret = serializers.CharField(
        help_text="The token itself, shown this once (only its digest is kept): "
        "send it as `Authorization: Bearer <secret>`."
    )

    class Meta(TokenOutputSerializer.Meta):
        fields = [*TokenOutputSerializer.Meta.fields, "secret"]


class TokenUseOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    method = serializers.CharField()
    path = serializers.CharField()
    status_code = serializers.IntegerField(help_text="the answer's HTTP status")
    address = serializers.CharField(allow_null=True, help_text="the client's address")


class TokenListApi(TenantApi):
    """GET: my tokens, newest first (``whose=bureau``: every token acting for the bureau I
    administer). POST: make a token acting for me in one of my bureaus, with scopes, an
    expiry (at most ``PERSONAL_TOKEN_MAX_DAYS`` ahead) and optionally a lower rate; the answer
    holds its secret, shown this once. Personal tokens cannot use this (403)."""

    class FilterSerializer(serializers.Serializer):
        whose = serializers.ChoiceField(
            choices=[(token_selectors.WHOSE_MINE, "mine"), (token_selectors.WHOSE_BUREAU, "bureau")],
            required=False,
            default=token_selectors.WHOSE_MINE,
            help_text="mine, or (bureau admin) those of the bureau's people",
        )

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, help_text="what the program is, for people")
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=TokenScope.choices),
            min_length=1,
            max_length=len(TokenScope),
        )
        expires = DateTimeField(help_text="when it stops working; in the future, at most a year ahead")
        bureau = serializers.CharField(
            max_length=16,
            required=False,
            help_text="code of the bureau it acts for (default: the one I act in)",
        )
        rate_limit = IntegerField(
            min_value=1,
            max_value=1_000_000,
            required=False,
            allow_null=True,
            help_text="requests per minute; at most PERSONAL_TOKEN_RATE_LIMIT_MAX (default: the portal's)",
        )

    @extend_schema(responses=TokenOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        whose = self.filters(request)["whose"]
        tokens = token_selectors.token_list(actor=request.actor, whose=whose)  # type: ignore[attr-defined]
        return self.paginate(request, tokens, TokenOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: TokenCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        token, secret = token_services.token_create(
            actor=request.actor,  # type: ignore[attr-defined]
            name=data["name"],
            scopes=data["scopes"],
            expires=data["expires"],
            bureau_code=data.get("bureau"),
            rate_limit=data.get("rate_limit"),
        )
        body = {**TokenOutputSerializer(token).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailApi(TenantApi):
    """GET: one of my tokens (or, for a bureau admin, of the bureau's people)."""

    @extend_schema(responses=TokenOutputSerializer)
    def get(self, request: Request, token_id: int) -> Response:
        token = token_selectors.token_get(actor=request.actor, token_id=token_id)  # type: ignore[attr-defined]
        return Response(TokenOutputSerializer(token).data)


class TokenRevokeApi(TenantApi):
    """POST: revoke the token; requests with it are refused (401) from now on. Its owner, the
    admin of its bureau or a system admin may; revoking a revoked token changes nothing."""

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses=TokenOutputSerializer)
    def post(self, request: Request, token_id: int) -> Response:
        actor = request.actor  # type: ignore[attr-defined]
        token = token_selectors.token_get(actor=actor, token_id=token_id)
        data = self.parse(self.InputSerializer, request.data)
        token = token_services.token_revoke(actor=actor, token=token, comment=data["comment"])
        return Response(TokenOutputSerializer(token_selectors.token_get(actor=actor, token_id=token.pk)).data)


class TokenUseListApi(TenantApi):
    """GET: the requests made with the token, newest first (kept ``PERSONAL_TOKEN_LOG_DAYS``)."""

    @extend_schema(responses=TokenUseOutputSerializer(many=True))
    def get(self, request: Request, token_id: int) -> Response:
        token = token_selectors.token_get(actor=request.actor, token_id=token_id)  # type: ignore[attr-defined]
        return self.paginate(request, token_selectors.token_uses(token=token), TokenUseOutputSerializer)
