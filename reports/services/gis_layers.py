"""A bureau's GIS layers (GeoJSON uploads drawn on its special-topic reports): upload, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from portal import uploads
from portal.exceptions import InvalidInput, PermissionDenied
from portal.services import audit_record
from portal.validators import TITLE_MAX_LENGTH, clean_title
from reports.geojson import GeoJSONError, parse_layer
from reports.models import (
    GisFeature,
    GisLayer,
    GisLayerKind,
)
from reports.permissions import can_manage_gis_layers

if TYPE_CHECKING:
    from portal.tenancy import Actor


GIS_MAX_BYTES_DEFAULT = 5 * 1024 * 1024


GIS_MAX_FEATURES_DEFAULT = 20_000


def gis_max_bytes() -> int:
    return int(getattr(settings, "REPORTS_GIS_MAX_BYTES", GIS_MAX_BYTES_DEFAULT))


def gis_max_features() -> int:
    return int(getattr(settings, "REPORTS_GIS_MAX_FEATURES", GIS_MAX_FEATURES_DEFAULT))


@transaction.atomic
def gis_layer_upload(
    *,
    actor: Actor,
    name: str,
    kind: str,
    content: bytes,
    filename: str = "",
    description: str = "",
) -> GisLayer:
    """Store a bureau's GeoJSON layer. The whole file is checked first: a problem raises
    InvalidInput naming the feature index and why, and nothing is stored."""
    if not can_manage_gis_layers(actor) or actor.bureau is None:  # the permission requires a bureau
        raise PermissionDenied(_("Only bureau admins and forecasters can upload GIS layers."))
    max_length = GisLayer._meta.get_field("name").max_length or TITLE_MAX_LENGTH  # set on the field
    name = clean_title(name, field="name", max_length=max_length)
    if kind not in GisLayerKind.values:
        raise InvalidInput(
            _("Unknown kind %(kind)s; kinds are %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(GisLayerKind.values)},
            field="kind",
        )
    if len(content) > gis_max_bytes():
        raise InvalidInput(
            _("The file is %(size)s bytes; at most %(max)s bytes are accepted.")
            % {"size": len(content), "max": gis_max_bytes()},
            field="file",
        )
    # a GeoJSON object by name and content (portal.uploads); the parser then checks every feature
    checked = uploads.check_bytes(
        content,
        name=filename or "layer.geojson",
        allowed=("geojson",),
        field="file",
        max_bytes=gis_max_bytes(),
    )
    if GisLayer.objects.filter(bureau=actor.bureau, name=name).exists():
        raise InvalidInput(_("The bureau already has a layer named %(name)s.") % {"name": name}, field="name")
    try:
        features = parse_layer(content, max_features=gis_max_features())
    except GeoJSONError as exc:
        raise InvalidInput(str(exc), field="file") from None
    layer = GisLayer.objects.create(
        bureau=actor.bureau,
        name=name[:120],
        kind=kind,
        description=description,
        source_filename=checked.display_name if filename else "",
        feature_count=len(features),
        uploaded_by=actor.user,
    )
    GisFeature.objects.bulk_create(
        [
            GisFeature(
                bureau=actor.bureau, layer=layer, name=f.name, geometry=f.geometry, properties=f.properties
            )
            for f in features
        ],
        batch_size=1000,
    )
    audit_record(
        actor=actor, action="gis_layer.upload", target=layer, extra={"features": len(features), "kind": kind}
    )
    return layer


@transaction.atomic
def gis_layer_delete(*, actor: Actor, layer: GisLayer) -> None:
    """Delete one of the bureau's layers with its features."""
    if not can_manage_gis_layers(actor) or layer.bureau_id != actor.bureau_id:
        raise PermissionDenied(_("Only bureau admins and forecasters of the bureau can delete its layers."))
    audit_record(
        actor=actor,
        action="gis_layer.delete",
        target=layer,
        extra={"name": layer.name, "features": layer.feature_count},
    )
    layer.delete()
