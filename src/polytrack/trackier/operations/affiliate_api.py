"""The Affiliate API: what an affiliate's own key may call."""

from __future__ import annotations

from polytrack.trackier.operations.base import AFFILIATE, planned

planned("GET", "/affiliate/campaigns", roles=AFFILIATE)
planned("GET", "/affiliate/campaigns/{campaignId}", roles=AFFILIATE)
planned("GET", "/affiliate/link/{campaignId}", roles=AFFILIATE)
planned("POST", "/affiliate/link/{campaignId}", roles=AFFILIATE)
planned("GET", "/affiliate/customReport", roles=AFFILIATE)
planned("GET", "/affiliate/account", roles=AFFILIATE)
planned("PATCH", "/affiliate/account", roles=AFFILIATE)
planned("POST", "/affiliate/requestAccess/{campaignId}", roles=AFFILIATE)
planned("GET", "/affiliate/conversions", roles=AFFILIATE)

# Legacy: gone from the newest docs, still called by clients written against the older ones.
planned("GET", "/affiliate/payout", roles=AFFILIATE)
planned("GET", "/affiliate/report", roles=AFFILIATE)
planned("GET", "/affiliate/campaign-search", roles=AFFILIATE)
