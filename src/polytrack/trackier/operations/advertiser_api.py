"""The Advertiser API: what an advertiser's own key may call."""

from __future__ import annotations

from polytrack.trackier.operations.base import ADVERTISER, planned

planned("GET", "/advertiser/campaigns", roles=ADVERTISER)
planned("GET", "/advertiser/campaigns/{campaignId}", roles=ADVERTISER)
planned("GET", "/advertiser/campaignStats/{id}", roles=ADVERTISER)
planned("GET", "/advertiser/report", roles=ADVERTISER)
planned("GET", "/advertiser/customReport", roles=ADVERTISER)
planned("GET", "/advertiser/account", roles=ADVERTISER)
planned("PATCH", "/advertiser/account", roles=ADVERTISER)
# the API's index page truncates the path; clients copied it
planned("POST", "/advertiser/conversion-import", roles=ADVERTISER, aliases=("/advertiser/conversion-impor",))
planned("GET", "/advertiser/conversion-logs", roles=ADVERTISER)
