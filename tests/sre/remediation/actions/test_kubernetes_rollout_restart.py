"""kubernetes-rollout-restart against a recorded API exchange (no cluster runs here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sre.errors import RemediationError, SpecError, UnsafeTarget
from sre.remediation.action import Deps
from sre.remediation.actions.kubernetes_rollout_restart import (
    ANNOTATION,
    KubernetesRolloutRestart,
    restart_patch,
)

from ..fakes import policy

NOW = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
# What `kubectl rollout restart deployment/sre-remediator -n potato-pipeline` sends (kubectl
# 1.29, -v=8): a strategic merge patch of the pod template's annotations.
KUBECTL_PATCH = {
    "spec": {"template": {"metadata": {"annotations": {ANNOTATION: "2026-11-26T05:00:00+00:00"}}}}
}
PATH = "/apis/apps/v1/namespaces/potato-pipeline/deployments/sre-remediator"


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, str, str, Any]]]]:
    seen: list[tuple[str, str, str, Any]] = []

    class Replay(BaseHTTPRequestHandler):
        def do_PATCH(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(("PATCH", self.path, self.headers["Content-Type"], body))
            if self.path != PATH:
                answer, code = {"kind": "Status", "reason": "NotFound", "code": 404}, 404
            else:
                answer, code = (
                    {
                        "kind": "Deployment",
                        "apiVersion": "apps/v1",
                        "metadata": {"name": "sre-remediator"},
                        **body,
                    },
                    200,
                )
            raw = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def deps_for(url: str) -> Deps:
    from kubernetes import client

    return Deps(
        kubernetes=lambda: client.ApiClient(client.Configuration(host=url)), now=lambda: NOW
    )


def restart(url: str, deployment: str) -> Any:
    given = policy(
        "RemediatorDown",
        "kubernetes-rollout-restart",
        params={"deployment": deployment, "namespace": "potato-pipeline"},
    ).params
    action = KubernetesRolloutRestart()
    plan = action.plan(action.target({}, given), given, None, "inc")
    return action.apply(plan, given, deps_for(url), "inc")


def test_the_patch_is_what_kubectl_rollout_restart_sends(
    api: tuple[str, list[tuple[str, str, str, Any]]],
) -> None:
    url, seen = api
    outcome = restart(url, "sre-remediator")
    assert outcome.ok and outcome.detail == "deployment/sre-remediator restarted in potato-pipeline"
    [(method, path, content_type, body)] = seen
    assert (method, path) == ("PATCH", PATH)
    assert content_type == "application/strategic-merge-patch+json"
    assert body == KUBECTL_PATCH == restart_patch(NOW)


def test_a_missing_deployment_is_a_clear_error(
    api: tuple[str, list[tuple[str, str, str, Any]]],
) -> None:
    url, _ = api
    with pytest.raises(RemediationError, match="404"):
        restart(url, "nope")


def test_the_deployment_comes_from_a_validated_label_only_when_the_policy_says_so() -> None:
    action = KubernetesRolloutRestart()
    by_label = policy(
        "RemediatorDown", "kubernetes-rollout-restart", params={"label": "deployment"}
    ).params
    assert action.target({"deployment": "api"}, by_label) == "api"
    with pytest.raises(UnsafeTarget):
        action.target({"deployment": "api; kubectl delete ns prod"}, by_label)
    fixed = policy(
        "RemediatorDown", "kubernetes-rollout-restart", params={"deployment": "api"}
    ).params
    assert action.target({"deployment": "other"}, fixed) == "api"  # labels cannot redirect it
    with pytest.raises(SpecError, match="give a deployment or a label"):
        policy("RemediatorDown", "kubernetes-rollout-restart", params={})
