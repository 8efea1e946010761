"""Network API: the dictionary (countries, devices, categories, custom fields), network keys.
The API's own index page calls it /dict: both prefixes answer."""

from __future__ import annotations

from typing import Callable

from polytrack.trackier import dictionary
from polytrack.trackier.dictionary_data import COUNTRIES, DEVICES
from polytrack.trackier.operations.base import TrackierCall, operation
from polytrack.trackier.schema import BOOLEAN, OBJECT_ID, STRING, array, envelope, map_of, message_only, obj

# the wire's names of the user types custom fields belong to
CATEGORY = obj({"_id": OBJECT_ID, "name": STRING, "org_id": OBJECT_ID})
CUSTOM_FIELD = obj(label=STRING, type=STRING, name=STRING, required=BOOLEAN, id=OBJECT_ID)
FIELD_OWNERS = {"affiliate": ("publisher", "affiliates"), "advertiser": ("advertiser", "advertisers")}


def _dictionary(method: str, path: str, **options) -> Callable:
    return operation(method, f"/dictionary{path}", aliases=(f"/dict{path}",), **options)


@_dictionary("GET", "/countries", cacheable=True, answer=envelope({"countries": map_of(STRING)}))
def countries(call: TrackierCall) -> dict:
    return {"success": True, "data": {"countries": COUNTRIES}}


@_dictionary("GET", "/devices", cacheable=True, answer=envelope({"devices": map_of(STRING)}))
def devices(call: TrackierCall) -> dict:
    return {"success": True, "data": {"devices": DEVICES}}


def _category(row, call: TrackierCall) -> dict:
    return {"_id": row.object_id, "name": row.name, "org_id": call.network.object_id}


@_dictionary("GET", "/categories", cacheable=True, answer=envelope({"categories": array(CATEGORY)}))
def list_categories(call: TrackierCall) -> dict:
    rows = dictionary.list_categories(call.db, call.network)
    return {"success": True, "data": {"categories": [_category(row, call) for row in rows]}}


@_dictionary("POST", "/categories", writes=True, body=dictionary.CATEGORY_BODY,
             answer=envelope({"category": CATEGORY, "message": STRING}))
def create_category(call: TrackierCall) -> dict:
    row = dictionary.create_category(call.db, call.services.clock, call.network, call.body)
    return {"success": True, "data": {"category": _category(row, call), "message": "Category saved successfully!!"}}


@_dictionary("DELETE", "/categories/{id}", writes=True, answer=message_only())
def delete_category(call: TrackierCall) -> dict:
    if not dictionary.delete_category(call.db, call.network, call.path_params["id"]):
        return {"success": False, "data": {"message": "Category is in use by a campaign!!"}}
    return {"success": True, "data": {"message": "Category Deleted!!"}}


def _custom_fields(owner: str) -> None:
    """The three custom-field operations of one user type (affiliate or advertiser)."""
    user_type, plural = FIELD_OWNERS[owner]

    @_dictionary("GET", f"/customField/{owner}", cacheable=True, answer=envelope({"fields": array(CUSTOM_FIELD)}))
    def list_fields(call: TrackierCall) -> dict:
        rows = dictionary.list_custom_fields(call.db, call.network, user_type)
        return {"success": True, "data": {"fields": [
            {"label": row.label, "type": row.ftype, "name": row.name, "required": bool(row.required),
             "id": row.object_id} for row in rows]}}

    @_dictionary("POST", f"/customField/{owner}", writes=True, body=dictionary.CUSTOM_FIELD_BODY, answer=message_only())
    def create_field(call: TrackierCall) -> dict:
        dictionary.create_custom_field(call.db, call.services.clock, call.network, user_type, call.body)
        return {"success": True, "data": {"message": f"Added New Custom Field for {plural}"}}

    @_dictionary("DELETE", f"/customField/{owner}/{{id}}", writes=True, answer=message_only())
    def delete_field(call: TrackierCall) -> dict:
        dictionary.delete_custom_field(call.db, call.network, user_type, call.path_params["id"])
        return {"success": True, "data": {"message": "Custom Field Deleted!!"}}


_custom_fields("affiliate")
_custom_fields("advertiser")
