"""Call routing of a number: its receiving number, round robin, recording and greetings."""

from __future__ import annotations

from polytrack.avidtrak.operations.base import registry

registry.planned("set_forwarding")
registry.planned("remove_forwarding")
registry.planned("insert_round_robin")
registry.planned("list_round_robin")
registry.planned("edit_round_robin")
registry.planned("delete_round_robin")
registry.planned("update_number_setting")
