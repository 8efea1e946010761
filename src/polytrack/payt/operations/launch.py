"""Admin/Launch (TrackerPro): turn a user's ssid into a single-use launch token for the portal /
view / embedded view pages (served by polytrack.payt.launch_pages)."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.operations.base import Answer, PaytCall, trackerpro_operation


@trackerpro_operation("Admin/Launch", writes=True)
def launch(call: PaytCall) -> Answer:
    token = domain.launch(call.db, call.services.tokens, call.admin, call.require("ssid"))
    return Answer("value", token, sig="")
