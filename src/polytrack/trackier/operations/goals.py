"""Network API: campaign goals (events) and their payouts (network keys)."""

from __future__ import annotations

from polytrack.trackier.operations.base import planned

planned("POST", "/goal")
planned("GET", "/goal/campaign/{campaign_id}")
planned("GET", "/goal/{goal_id}")
planned("POST", "/goal/{goal_id}")
planned("DELETE", "/goal/{goal_id}")
planned("POST", "/goal/payout/{goal_id}")
planned("POST", "/goal/payout/{goal_id}/{payout_id}")
planned("DELETE", "/goal/payout/{goal_id}/{payout_id}")

# Legacy: gone from the newest docs, still called by clients written against the older ones.
planned("GET", "/goal")
planned("GET", "/goal/ad/{adId}")
planned("GET", "/goal/payout/{goalId}")
# the deprecated campaign-scoped forms
planned("POST", "/goals/{campId}")
planned("GET", "/goals/{campId}")
planned("GET", "/goals/{campId}/{goalId}")
planned("POST", "/goals/{campId}/{goalId}")
planned("DELETE", "/goals/{campId}/{goalId}")
