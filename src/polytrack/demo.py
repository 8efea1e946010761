"""Fixed, documented sandbox credentials and the demo data loader.

Like the sandboxes of hosted APIs, the demo uses credentials that never change, so CI scripts
can hard-code them or read them from `polytrack demo credentials --json`.
"""

from __future__ import annotations

from polytrack.apis import all_packages

DEMO_ADMIN_TOKEN = "polytrack-demo-admin-token"


def seed_demo(services) -> None:
    """Load every package's demo data; each package skips what is already there."""
    with services.engine.begin() as conn:
        for package in all_packages():
            package.seed_demo(services, conn)


def credentials(base_url: str) -> dict:
    from polytrack.admin_http import demo_credentials

    return demo_credentials(base_url.rstrip("/"), all_packages())


def curl_examples(base_url: str) -> list[tuple[str, str]]:
    creds = credentials(base_url)
    examples = []
    for package in all_packages():
        for line in package.curl_examples(base_url.rstrip("/"), creds):
            examples.append((package.name, line))
    return examples
