"""OpenAPI schema tweaks (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema


class PortalAutoSchema(AutoSchema):
    """Names nested serializers after their API class.

    Every API declares its own ``InputSerializer`` (one class per operation), so the
    default component name ("Input") would collide; ``UserListApi.InputSerializer``
    becomes ``UserListApiInput`` instead.
    """

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            owner = qualname.rsplit(".", 1)[0].replace(".", "")
            return f"{owner}{name}"
        return name
