"""Mapp Intelligence (formerly Webtrekk) JSON/RPC API 1.1 at /cgi-bin/wt/JSONRPC.cgi."""

from polytrack.apis import conventional_package, lazy

# each worker sessionises the pixel's hits in the background (collect/sessions.py)
package = conventional_package("mapp", background_tasks=lazy("polytrack.mapp.collect.sessions:background_tasks"))
