"""Admin/Launch (TrackerPro, spec 4.3): turn a user's ssid into a single-use launch token for
the portal / view / embedded view pages (served by polytrack.payt.launch_pages)."""

from __future__ import annotations

from polytrack.payt import domain
from polytrack.payt.wire import Call, Result, trackerpro_op


@trackerpro_op("Admin", "Launch")
def launch(call: Call) -> Result:
    token = domain.launch(call.conn, call.services.tokens, call.integrator, call.require("ssid"))
    return Result("value", token, sig="")
