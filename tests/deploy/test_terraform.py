"""Terraform: every file parses (python-hcl2), the runbook's names, lifecycle and protections."""

from __future__ import annotations

from typing import Any

from tests.deploy.conftest import TERRAFORM


def _resources(terraform: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any]:
    return {n: b for block in terraform["resource"] for n, b in block.get(kind, {}).items()}


def _locals(terraform: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {k: v for block in terraform["locals"] for k, v in block.items()}


def test_every_file_parses(terraform: dict[str, list[dict[str, Any]]]) -> None:
    assert len(list(TERRAFORM.rglob("*.tf"))) >= 8 and terraform["resource"]


def test_bucket_names_follow_the_runbook(terraform: dict[str, list[dict[str, Any]]]) -> None:
    names = _locals(terraform)["buckets"]
    assert names == {
        "lake": "${local.name}-data-lake-${var.bucket_suffix}",
        "quarantine": "${local.name}-quarantine-${var.bucket_suffix}",
        "backup": "${local.name}-backup-${var.bucket_suffix}",
    }
    variables = {n: b for block in terraform["variable"] for n, b in block.items()}
    assert (variables["prefix"]["default"], variables["environment"]["default"]) == ("cdp", "prod")
    assert variables["bucket_suffix"]["default"] == "xyz"  # cdp-prod-potato-data-lake-xyz


def test_lake_lifecycle_is_the_runbooks(terraform: dict[str, list[dict[str, Any]]]) -> None:
    rules = {r["id"]: r for r in _locals(terraform)["lifecycle_rules"]["lake"]}
    bronze = rules["potato-pipeline-lifecycle"]
    assert bronze["prefix"] == "bronze/"
    assert bronze["transitions"] == [
        {"days": 30, "storage_class": "STANDARD_IA"},
        {"days": 90, "storage_class": "GLACIER"},
    ]
    assert rules["reports-expire"] == {
        "id": "reports-expire",
        "prefix": "reports/",
        "expiration_days": 30,
    }


def test_every_bucket_is_versioned_encrypted_private_and_tls_only(
    terraform: dict[str, list[dict[str, Any]]], policy_documents: dict[str, Any]
) -> None:
    versioning = _resources(terraform, "aws_s3_bucket_versioning")
    assert all(v["versioning_configuration"][0]["status"] == "Enabled" for v in versioning.values())
    blocks = _resources(terraform, "aws_s3_bucket_public_access_block")
    flags = (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    )
    assert all(all(b[f] is True for f in flags) for b in blocks.values())
    sse = _resources(terraform, "aws_s3_bucket_server_side_encryption_configuration")["this"]
    default = sse["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms"
    insecure = [
        c for s in policy_documents["tls_only"] if s["effect"] == "Deny" for c in s["condition"]
    ]
    assert {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]} in insecure


def test_backups_are_object_locked(terraform: dict[str, list[dict[str, Any]]]) -> None:
    lock = _resources(terraform, "aws_s3_bucket_object_lock_configuration")["this"]
    assert lock["rule"][0]["default_retention"][0]["mode"] == "GOVERNANCE"
    modules = {n: b for block in terraform["module"] for n, b in block.items()}
    assert "backup" in modules["bucket"]["object_lock_days"]


def test_outputs_name_everything_the_runbook_uses(
    terraform: dict[str, list[dict[str, Any]]],
) -> None:
    outputs = {n for block in terraform["output"] for n in block}
    assert {
        "lake_bucket",
        "quarantine_bucket",
        "backup_bucket",
        "github_oidc_role_name",
        "github_oidc_role_arn",
        "pipeline_role_arn",
        "remediator_role_arn",
        "kms_key_arn",
    } <= outputs
