"""The Kubernetes manifests: valid against the bundled schemas, and the properties the issue
asks for (CronJob policy, replicas, probes, hardening, secrets by reference)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.deploy.conftest import K8S


def test_manifests_validate_strictly() -> None:
    tool = Path(sys.executable).parent / "kubernetes-validate"
    files = [str(p) for p in sorted(K8S.glob("*.yaml")) if p.name != "kustomization.yaml"]
    done = subprocess.run(
        [str(tool), "--strict", "--quiet", *files], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_kustomization_lists_every_manifest() -> None:
    import yaml

    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    on_disk = sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == on_disk


def _pod(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def test_cronjob_never_overlaps_and_keeps_bounded_history(
    manifests: dict[tuple[str, str], dict[str, Any]],
) -> None:
    cron = manifests[("CronJob", "potato-pipeline")]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["successfulJobsHistoryLimit"] >= 1 and cron["failedJobsHistoryLimit"] >= 1
    assert cron["startingDeadlineSeconds"] > 0
    assert cron["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0


def test_remediator_runs_two_replicas_with_probes(
    manifests: dict[tuple[str, str], dict[str, Any]],
) -> None:
    deployment = manifests[("Deployment", "sre-remediator")]
    assert deployment["spec"]["replicas"] == 2
    (container,) = _pod(deployment)["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env = {e["name"]: e for e in container["env"]}
    assert env["SRE_STATE"]["valueFrom"]["secretKeyRef"]["name"] == "sre-remediator-state"
    token = container["command"][container["command"].index("--token-file") + 1]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod(deployment)["volumes"]}
    assert (
        volumes[mounts[str(Path(token).parent)]]["secret"]["secretName"] == "sre-remediator-token"
    )


def test_pods_are_hardened(manifests: dict[tuple[str, str], dict[str, Any]]) -> None:
    for key in (("CronJob", "potato-pipeline"), ("Deployment", "sre-remediator")):
        pod = _pod(manifests[key])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] >= 10000
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert not container["image"].endswith(":latest")


def test_disruption_budget_keeps_one_replica(
    manifests: dict[tuple[str, str], dict[str, Any]],
) -> None:
    pdb = manifests[("PodDisruptionBudget", "sre-remediator")]["spec"]
    assert pdb["minAvailable"] == 1
    service = manifests[("Service", "sre-remediator")]["spec"]
    assert pdb["selector"]["matchLabels"] == service["selector"]


def test_no_secret_values_are_committed(manifests: dict[tuple[str, str], dict[str, Any]]) -> None:
    assert not [name for kind, name in manifests if kind == "Secret"]
