"""Trackier v1 (formerly vNative): the Network API at /api/... and the bare paths.

Advertisers, affiliates and campaigns of a network, authenticated by an API key
(X-Api-Key header or apiKey query parameter) with an optional IP whitelist.
"""

from polytrack.apis import conventional_package, lazy

package = conventional_package("trackier", background_tasks=lazy("polytrack.trackier.collect:background_tasks"))
