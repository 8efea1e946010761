"""Network API: the dictionary (countries, devices, categories, custom fields), network keys.
The API's own index page calls it /dict: both prefixes answer."""

from __future__ import annotations

from polytrack.trackier.operations.base import planned


def _dictionary(method: str, path: str) -> None:
    planned(method, f"/dictionary{path}", aliases=(f"/dict{path}",))


_dictionary("GET", "/countries")
_dictionary("GET", "/devices")
_dictionary("GET", "/categories")
_dictionary("POST", "/categories")
_dictionary("DELETE", "/categories/{id}")
_dictionary("GET", "/customField/affiliate")
_dictionary("GET", "/customField/advertiser")
_dictionary("POST", "/customField/affiliate")
_dictionary("POST", "/customField/advertiser")
_dictionary("DELETE", "/customField/affiliate/{id}")
_dictionary("DELETE", "/customField/advertiser/{id}")
