"""Mapp Intelligence (formerly Webtrekk) JSON/RPC API 1.1 at /cgi-bin/wt/JSONRPC.cgi."""

from polytrack.apis import conventional_package

package = conventional_package("mapp")
