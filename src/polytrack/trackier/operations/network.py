"""Network API: the network's own account, tracking links, stats and reports, conversion and
click logs, conversion import and its jobs, referral links (network keys)."""

from __future__ import annotations

from polytrack.trackier.operations.base import planned

planned("GET", "/network/account")
planned("PATCH", "/network/account")

planned("GET", "/network/link/{affiliate_id}/{campaign_id}")
planned("POST", "/network/link/{affiliate_id}/{campaign_id}")

planned("GET", "/network/stats")
planned("GET", "/network/customReport")
planned("GET", "/network/conversions")
planned("GET", "/network/clicks")

planned("POST", "/network/conversion-import")
planned("GET", "/jobs")
planned("GET", "/jobs/{id}")

planned("GET", "/network/referral")
planned("POST", "/network/referral")
planned("PATCH", "/network/referral/{id}")
planned("DELETE", "/network/referral/{id}")
