"""Fixed, documented sandbox credentials and the demo data loader.

Like the sandboxes of hosted APIs, the demo uses credentials that never change, so CI scripts
can hard-code them or read them from `polytrack demo credentials --json`.
"""

from __future__ import annotations

from polytrack.apis import all_packages
from polytrack.config import Settings

DEMO_ADMIN_TOKEN = "polytrack-demo-admin-token"


def seed_demo(services) -> None:
    """Load every package's demo data; each package skips what is already there."""
    with services.transaction() as db:
        for package in all_packages():
            package.seed_demo(services, db)


def credentials(base_url: str, settings: Settings | None = None) -> dict:
    """Every package's demo credentials, and the operator API's. `settings`: the server's (the
    URLs of extra listeners, such as PAYT's device port, follow them); None: the defaults."""
    base_url = base_url.rstrip("/")
    creds: dict = {}
    for package in all_packages():
        creds.update(package.demo_credentials(base_url, settings))
    creds["admin"] = {"url": f"{base_url}/_polytrack", "token": DEMO_ADMIN_TOKEN}
    return creds


def curl_examples(base_url: str, settings: Settings | None = None) -> list[tuple[str, str]]:
    """(credentials key, command): each package's examples, named by the API whose URL they call,
    and one for the operator API."""
    base_url = base_url.rstrip("/")
    creds = credentials(base_url, settings)
    examples = []
    for package in all_packages():
        for line in package.curl_examples(base_url, creds):
            examples.append((_api_of(line, creds) or package.name, line))
    admin = creds["admin"]
    examples.append(("admin", f"curl -H 'Authorization: Bearer {admin['token']}' '{admin['url']}/calls?limit=5'"))
    return examples


def _api_of(command: str, creds: dict) -> str | None:
    """The credentials entry whose URL the command calls (the longest match wins)."""
    matches = [(len(values["url"]), name) for name, values in creds.items() if values.get("url") and values["url"] in command]
    return max(matches)[1] if matches else None
