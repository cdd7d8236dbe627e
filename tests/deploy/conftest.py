"""Shared readers of the deployment files: the compose file, Terraform (python-hcl2) and the
Kubernetes manifests, parsed once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
TERRAFORM = ROOT / "infra" / "terraform"
K8S = ROOT / "infra" / "k8s"


def unquote(value: Any) -> Any:
    """python-hcl2 8 keeps string quotes and block markers; strip both."""
    if isinstance(value, dict):
        return {
            unquote(k): unquote(v)
            for k, v in value.items()
            if k not in ("__is_block__", "__comments__")
        }
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def terraform() -> dict[str, list[dict[str, Any]]]:
    """Top-level block kind -> list of blocks, over every .tf file (modules included)."""
    import hcl2

    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(TERRAFORM.rglob("*.tf")):
        parsed = unquote(hcl2.loads(path.read_text(encoding="utf-8")))
        for kind, blocks in parsed.items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


@pytest.fixture(scope="session")
def policy_documents(terraform: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Every aws_iam_policy_document by name -> its statements."""
    found: dict[str, list[dict[str, Any]]] = {}
    for block in terraform.get("data", []):
        for name, body in block.get("aws_iam_policy_document", {}).items():
            found[name] = body["statement"]
    return found


@pytest.fixture(scope="session")
def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> document, over infra/k8s (kustomization.yaml aside)."""
    found = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[(doc["kind"], doc["metadata"]["name"])] = doc
    return found
