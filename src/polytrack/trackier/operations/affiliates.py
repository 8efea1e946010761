"""Network API: affiliates, Trackier's publishers (network keys)."""

from __future__ import annotations

from polytrack.trackier.operations.base import planned

planned("POST", "/affiliate")
planned("POST", "/affiliate/{id}")  # edit
planned("GET", "/affiliate")
planned("GET", "/affiliate/{id}")
planned("DELETE", "/affiliate/{id}")
# date-wise earnings; the docs' own example calls the plural path
planned("GET", "/affiliate/earning/{id}", aliases=("/affiliates/earning/{id}",))
