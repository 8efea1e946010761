"""Tracking numbers: searching, buying, moving between accounts, channels, giving back."""

from __future__ import annotations

from polytrack.avidtrak.operations.base import registry, require_agency

registry.planned("search_number")
registry.planned("purchase_number")
registry.planned("transfer_number", before=[require_agency])
registry.planned("assign_number")
registry.planned("list_numbers")
registry.planned("return_number")
