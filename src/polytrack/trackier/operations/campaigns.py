"""Network API: campaigns and what hangs off them: tracking domains, publisher access, stats,
caps, default commissions, landing pages, publisher-specific payouts (network keys). Goals are
in goals.py."""

from __future__ import annotations

from polytrack.trackier.operations.base import planned

planned("POST", "/campaign")
planned("POST", "/campaign/{id}")  # edit; the body's `action` says what
planned("GET", "/campaign")
planned("GET", "/campaign/{id}")
planned("DELETE", "/campaign/{id}")
planned("GET", "/campaign/stats/{id}")
planned("GET", "/campaign/stats/{id}/{affId}")

planned("GET", "/campaign/domains")
planned("PUT", "/campaign/domains")

planned("POST", "/campaign/assign-publisher")

planned("POST", "/caps/{campId}")
planned("GET", "/caps/{campId}")
planned("GET", "/caps/{campId}/{capId}")
planned("POST", "/caps/{campId}/{capId}")
planned("DELETE", "/caps/{campId}/{capId}")

planned("POST", "/commissions/{campId}")
planned("GET", "/commissions/{campId}")
planned("GET", "/commissions/{campId}/{id}")
planned("POST", "/commissions/{campId}/{id}")
planned("DELETE", "/commissions/{campId}/{id}")

planned("POST", "/campaign/lpages/{campId}")
planned("GET", "/campaign/lpages/{campId}")
planned("POST", "/campaign/lpages/{campId}/{lpId}")
planned("DELETE", "/campaign/lpages/{campId}/{lpId}")

# Publisher-specific payouts: the second id is a publisher's on GET, a payout's on POST and
# DELETE. The older /network/pub-payout paths answer the same.
planned("POST", "/campaign/pub-payout/{campId}")
planned("GET", "/campaign/pub-payout/{campId}", aliases=("/network/pub-payout/{campId}",))
planned("GET", "/campaign/pub-payout/{campId}/{publisherId}", aliases=("/network/pub-payout/{campId}/{publisherId}",))
planned("POST", "/campaign/pub-payout/{campId}/{payoutId}")
planned("DELETE", "/campaign/pub-payout/{campId}/{payoutId}")
