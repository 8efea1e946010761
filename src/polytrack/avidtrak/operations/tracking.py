"""Website tracking (pro accounts): visits by keyword, smart replacement, metro site numbers."""

from __future__ import annotations

from polytrack.avidtrak.operations.base import registry, require_pro

registry.planned("visit_data", before=[require_pro])
registry.planned("set_smart_replacement", before=[require_pro])
registry.planned("add_metro_site_number", before=[require_pro])
registry.planned("list_metro_numbers", before=[require_pro])
registry.planned("remove_metro_site_number", before=[require_pro])
registry.planned("allocate_metro_number", before=[require_pro])
