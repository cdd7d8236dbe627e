"""kubernetes-job against a recorded API exchange (no cluster runs here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sre.errors import RemediationError
from sre.remediation.actions.kubernetes_job import create_job_from_cronjob

# What the API server returned for `kubectl get cronjob potato-pipeline -o json` (trimmed of
# status and managedFields), and what `kubectl create job --from=cronjob/...` then POSTs.
CRONJOB: dict[str, Any] = {
    "apiVersion": "batch/v1",
    "kind": "CronJob",
    "metadata": {
        "name": "potato-pipeline",
        "namespace": "potato-pipeline",
        "uid": "7d0b5c1e-1f5a-4c4e-9a55-0c9e1f2d3b4a",
        "resourceVersion": "4242",
    },
    "spec": {
        "schedule": "*/30 * * * *",
        "concurrencyPolicy": "Forbid",
        "jobTemplate": {
            "metadata": {"labels": {"app": "potato-pipeline"}},
            "spec": {
                "backoffLimit": 1,
                "activeDeadlineSeconds": 3600,
                "template": {
                    "metadata": {"labels": {"app": "potato-pipeline"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "serviceAccountName": "potato-pipeline",
                        "containers": [
                            {
                                "name": "pipeline",
                                "image": "potato-sre:0.1.0",
                                "args": ["potato-pipeline", "run"],
                            }
                        ],
                    },
                },
            },
        },
    },
}


@pytest.fixture
def api_server() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    seen: list[tuple[str, str, Any]] = []

    class Replay(BaseHTTPRequestHandler):
        def _send(self, code: int, doc: Any) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            seen.append(("GET", self.path, None))
            if self.path == "/apis/batch/v1/namespaces/potato-pipeline/cronjobs/potato-pipeline":
                self._send(200, CRONJOB)
            else:
                self._send(
                    404, {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}
                )

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(("POST", self.path, body))
            self._send(201, {**body, "metadata": {**body["metadata"], "uid": "job-uid"}})

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def api_for(url: str) -> Any:
    from kubernetes import client

    config = client.Configuration(host=url)
    return client.ApiClient(config)


def test_the_job_is_what_kubectl_create_job_from_cronjob_posts(
    api_server: tuple[str, list[Any]],
) -> None:
    url, seen = api_server
    now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    outcome = create_job_from_cronjob(api_for(url), "potato-pipeline", "potato-pipeline", now)
    assert (
        outcome.ok
        and outcome.detail == "created job/potato-pipeline-manual-1795669200 in potato-pipeline"
    )
    assert [(m, p) for m, p, _ in seen] == [
        ("GET", "/apis/batch/v1/namespaces/potato-pipeline/cronjobs/potato-pipeline"),
        ("POST", "/apis/batch/v1/namespaces/potato-pipeline/jobs"),
    ]
    job = seen[1][2]
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "name": "potato-pipeline",
            "uid": CRONJOB["metadata"]["uid"],
            "controller": True,
        }
    ]
    assert job["metadata"]["labels"] == {"app": "potato-pipeline"}
    assert job["spec"] == CRONJOB["spec"]["jobTemplate"]["spec"]


def test_a_missing_cronjob_is_a_clear_error(api_server: tuple[str, list[Any]]) -> None:
    url, _ = api_server
    with pytest.raises(RemediationError, match="404"):
        create_job_from_cronjob(api_for(url), "potato-pipeline", "nope", datetime.now(UTC))


def test_the_action_plans_from_the_policy_and_creates_the_job_through_deps(
    api_server: tuple[str, list[Any]],
) -> None:
    from sre.remediation.action import Deps
    from sre.remediation.actions.kubernetes_job import KubernetesJob

    from ..fakes import policy

    url, seen = api_server
    params = policy(
        "PipelineDataStale",
        "kubernetes-job",
        params={"cronjob": "potato-pipeline", "namespace": "potato-pipeline"},
    ).params
    action = KubernetesJob()
    target = action.target({"cronjob": "evil"}, params)  # labels never choose the CronJob
    assert target == "potato-pipeline"
    plan = action.plan(target, params, None, "inc")
    assert plan.describe()[0] == "create a Job from cronjob/potato-pipeline in potato-pipeline"
    deps = Deps(kubernetes=lambda: api_for(url), now=lambda: datetime(2026, 11, 26, tzinfo=UTC))
    outcome = action.apply(plan, params, deps, "inc")
    assert outcome.ok and outcome.evidence["job"].startswith("potato-pipeline-manual-")
    assert [m for m, _, _ in seen] == ["GET", "POST"]
