"""Offline (lite) campaigns and the calls they and every other number received."""

from __future__ import annotations

from polytrack.avidtrak.operations.base import registry

registry.planned("add_lite_campaign")
registry.planned("lite_campaign")
registry.planned("all_lite_calls")
registry.planned("call_logs")
