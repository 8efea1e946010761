"""The OpenAPI document of Trackier's REST surface, and schemathesis run from it against a real
`polytrack serve` with a key of each role: no 5xx, no answer the document does not allow."""

import subprocess
import sys

from polytrack.trackier import demo
from polytrack.trackier.operations import registries
from tests.serving import Server, child_env


def test_the_document_lists_every_operation(http):
    document = http.get("/_polytrack/openapi/trackier.json").json()
    assert document["openapi"].startswith("3.") and document["servers"] == [{"url": "/api"}]
    served = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    [registry] = registries()
    assert served == {(op.options["method"], op.options["template"]) for op in registry}
    one = document["paths"]["/campaign/{id}"]["get"]
    assert one["parameters"][0]["schema"]["pattern"] and {"200", "401", "404", "501"} <= set(one["responses"])


def test_schemathesis_finds_nothing_with_any_role(services, database_url, tmp_path):
    server = Server("--db", database_url, "--osmand-port", "0", "--demo", cwd=tmp_path)
    with server:
        server.wait_ready()
        for key in (demo.DEMO_NETWORK_API_KEY, demo.DEMO_ADVERTISER_API_KEY, demo.DEMO_AFFILIATE_API_KEY):
            done = subprocess.run(
                [sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/_polytrack/openapi/trackier.json",
                 "--url", f"{server.url}/api", "-H", f"X-Api-Key: {key}", "--max-examples", "3",
                 "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                             "response_schema_conformance",
                 "--generation-deterministic", "--phases", "examples,fuzzing", "--mode", "positive"],
                capture_output=True, text=True, env=child_env(), cwd=tmp_path, timeout=600)  # its cache: not in the tree
            assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
            assert "Tested: 103" in done.stdout
