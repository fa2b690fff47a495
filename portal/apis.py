"""API of the portal core: token, bureaus, people, me, notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import readership as reading
from . import report_index, selectors, services, waiting
from .apis_base import TenantApi
from .auth import LoginFailureThrottle
from .exceptions import InvalidInput, NotFound, PermissionDenied
from .fields import IdField, IntegerField
from .models import Bureau, Role, TokenScope
from .permissions import can_manage_bureaus, can_manage_people
from .serializers import (
    BureauListOutputSerializer,
    BureauOutputSerializer,
    MembershipOutputSerializer,
    NotificationOutputSerializer,
    UserOutputSerializer,
)

if TYPE_CHECKING:
    from rest_framework.request import Request


class TokenObtainApi(APIView):
    """``POST {"username", "password"}`` → ``{"token"}``.

    Only failures are throttled (``portal.auth``): per username and address by
    django-axes, per address by ``LoginFailureThrottle``.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [LoginFailureThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        data = TenantApi.parse(self.InputSerializer, request.data)
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            LoginFailureThrottle().record_failure(request, self)
            return Response(
                {"detail": _("Wrong username or password, or the account is deactivated.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"token": services.auth_token_get_or_create(user=user)})

    def throttled(self, request: Request, wait: float | None) -> None:
        raise Throttled(
            wait,
            detail=_("Too many failed sign-ins from your address."),
        )


class MeApi(TenantApi):
    token_scopes = {"GET": TokenScope.ACCOUNT_READ}
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        actor = request.actor
        body = UserOutputSerializer(request.user).data
        body["memberships"] = MembershipOutputSerializer(
            selectors.user_memberships(user=request.user), many=True
        ).data
        body["bureau"] = actor.bureau.code if actor and actor.bureau else None
        body["roles"] = sorted(actor.roles) if actor else []
        body["unread_notifications"] = selectors.notification_unread_count(user=request.user)
        return Response(body)


class WaitingItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField(help_text="The page where the work is done.")
    what = serializers.CharField(help_text="What to do, in the reader's language.")
    since = serializers.DateTimeField(allow_null=True)
    level = serializers.CharField()
    kind = serializers.CharField()


class WaitingApi(TenantApi):
    """GET: the work whose next step is the person's, in the bureau they act in, oldest first
    (paginated like every list: ``count``, ``next``, ``previous``, ``results``)."""

    token_scopes = {"GET": TokenScope.ACCOUNT_READ}

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=WaitingItemSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginate(request, waiting.waiting_for(request.actor), WaitingItemSerializer)


class BureauInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16, required=False)
    name_zh = serializers.CharField(max_length=100, required=False)
    name_en = serializers.CharField(max_length=150, required=False)
    kind = serializers.ChoiceField(choices=Bureau.Kind.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    jurisdiction = serializers.JSONField(required=False, allow_null=True)


class BureauListApi(TenantApi):
    @extend_schema(responses=BureauListOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginate(request, selectors.bureau_list(actor=request.actor), BureauListOutputSerializer)

    @extend_schema(request=BureauInputSerializer, responses={201: BureauOutputSerializer})
    def post(self, request: Request) -> Response:
        if not can_manage_bureaus(request.actor):
            raise PermissionDenied(_("Only a system administrator can create bureaus."))
        data = self.parse(BureauInputSerializer, request.data)
        for name in ("code", "name_zh", "name_en", "kind"):
            if not data.get(name):
                raise serializers.ValidationError({name: [_("This field is required.")]})
        bureau = services.bureau_create(actor=request.actor, **data)
        return Response(BureauOutputSerializer(bureau).data, status=status.HTTP_201_CREATED)


class BureauDetailApi(TenantApi):
    @extend_schema(responses=BureauOutputSerializer)
    def get(self, request: Request, code: str) -> Response:
        return Response(BureauOutputSerializer(selectors.bureau_get(actor=request.actor, code=code)).data)

    @extend_schema(request=BureauInputSerializer, responses=BureauOutputSerializer)
    def patch(self, request: Request, code: str) -> Response:
        bureau = selectors.bureau_get(actor=request.actor, code=code)
        data = self.parse(BureauInputSerializer, request.data, partial=True)
        bureau = services.bureau_update(actor=request.actor, bureau=bureau, **data)
        return Response(BureauOutputSerializer(bureau).data)

    put = patch


class MembershipInputSerializer(serializers.Serializer):
    bureau = serializers.CharField(required=False)
    role = serializers.ChoiceField(choices=Role.choices)
    discipline = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class UserListApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(trim_whitespace=False)
        display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        email = serializers.EmailField(required=False, allow_blank=True)
        phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
        memberships = MembershipInputSerializer(many=True)

    @extend_schema(responses=UserOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        if not can_manage_people(request.actor):
            raise PermissionDenied(_("Only bureau administrators can list people."))
        return self.paginate(request, selectors.user_list(actor=request.actor), UserOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: UserOutputSerializer})
    def post(self, request: Request) -> Response:
        if not can_manage_people(request.actor):
            raise PermissionDenied(_("Only bureau administrators can add people."))
        data = self.parse(self.InputSerializer, request.data)
        user = services.user_create(actor=request.actor, **data)
        user = selectors.user_get(actor=request.actor, user_id=user.pk)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
        email = serializers.EmailField(required=False, allow_blank=True)
        phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
        password = serializers.CharField(required=False, trim_whitespace=False)
        is_active = serializers.BooleanField(required=False)
        memberships = MembershipInputSerializer(many=True, required=False)

    @extend_schema(responses=UserOutputSerializer)
    def get(self, request: Request, user_id: int) -> Response:
        return Response(UserOutputSerializer(selectors.user_get(actor=request.actor, user_id=user_id)).data)

    @extend_schema(request=InputSerializer, responses=UserOutputSerializer)
    def patch(self, request: Request, user_id: int) -> Response:
        user = selectors.user_get(actor=request.actor, user_id=user_id)
        data = self.parse(self.InputSerializer, request.data, partial=True)
        user = services.user_update(actor=request.actor, user=user, **data)
        return Response(
            UserOutputSerializer(selectors.user_after_change(actor=request.actor, user=user)).data
        )

    put = patch


class NotificationListApi(TenantApi):
    token_scopes = {"GET": TokenScope.ACCOUNT_READ}
    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, default=False, help_text="only the unread ones")

    @extend_schema(responses=NotificationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        unread = self.filters(request)["unread"]
        qs = selectors.notification_list(user=request.user, unread_only=unread)
        return self.paginate(request, qs, NotificationOutputSerializer)


class NotificationReadApi(TenantApi):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(child=IntegerField(), required=False)

    class OutputSerializer(serializers.Serializer):
        marked_read = IntegerField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        count = services.notification_mark_read(user=request.user, notification_ids=data.get("ids"))
        return Response({"marked_read": count})


# --- who read what ----------------------------------------------------------------------------


class ReaderOutputSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    bureau = serializers.CharField(source="bureau_code", help_text="code of the reader's bureau")
    roles = serializers.ListField(child=serializers.CharField(), help_text="roles held (recipients)")
    first_read = serializers.DateTimeField(allow_null=True)
    last_read = serializers.DateTimeField(allow_null=True)
    count = serializers.IntegerField(help_text="views; 0 for a recipient who has not read it")
    channels = serializers.ListField(child=serializers.CharField())
    versions = serializers.ListField(child=serializers.IntegerField(), help_text="versions read")
    last_version = serializers.IntegerField(allow_null=True)


class ReportReadersApi(TenantApi):
    """GET: who of a report's recipients read it, when, how often, on what and which version,
    and who else read it (national units). Only people of the report's own bureau: a report
    the caller may not read, or of another bureau, is a 404."""

    class FilterSerializer(serializers.Serializer):
        report_kind = serializers.CharField(
            max_length=24, help_text="a report kind, e.g. consultation_report"
        )
        report_id = IdField()

    class OutputSerializer(serializers.Serializer):
        report_kind = serializers.CharField()
        report_id = serializers.IntegerField()
        read = serializers.IntegerField(help_text="recipients who read it")
        total = serializers.IntegerField(help_text="recipients")
        recipients = ReaderOutputSerializer(many=True)
        others = ReaderOutputSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        data = self.filters(request)
        actor = request.actor  # type: ignore[attr-defined]
        kind = report_index.kind_get(data["report_kind"])
        if kind is None:
            raise InvalidInput(_("Not a report kind."), field="report_kind")
        row = kind.lookup(actor, [data["report_id"]]).get(data["report_id"])
        if row is None:
            raise NotFound
        bureau_id = row.bureau_id or selectors.bureau_get(actor=actor, code=row.bureau_code).pk
        readership = reading.report_readers(
            actor=actor, report_kind=kind.key, report_id=row.id, bureau=bureau_id
        )
        if readership is None:  # not of the report's bureau: nothing of it is theirs
            raise NotFound
        body = {
            "report_kind": kind.key,
            "report_id": row.id,
            "read": readership.read,
            "total": readership.total,
            "recipients": readership.recipients,
            "others": readership.others,
        }
        return Response(self.OutputSerializer(body).data)


class ReportViewsDayOutputSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Beijing date")
    views = serializers.IntegerField()


class ReportViewsDailyApi(TenantApi):
    """GET: views of the reports of the caller's bureau per Beijing day over the last ``days``
    days, oldest first (days without views included). Bureau admins only (403 for others)."""

    class FilterSerializer(serializers.Serializer):
        days = IntegerField(min_value=1, max_value=366, required=False, default=90)
        report_kind = serializers.CharField(max_length=24, required=False, default="")

    class OutputSerializer(serializers.Serializer):
        bureau = serializers.CharField()
        days = serializers.IntegerField()
        total = serializers.IntegerField()
        results = ReportViewsDayOutputSerializer(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        actor = request.actor  # type: ignore[attr-defined]
        if not reading.can_view_readership(actor):
            raise PermissionDenied(_("Only a bureau administrator sees the bureau's reading figures."))
        data = self.filters(request)
        points = reading.views_per_day(actor=actor, days=data["days"], report_kind=data["report_kind"])
        body = {
            "bureau": actor.bureau.code,
            "days": data["days"],
            "total": sum(n for _day, n in points),
            "results": [{"day": day, "views": n} for day, n in points],
        }
        return Response(self.OutputSerializer(body).data)
