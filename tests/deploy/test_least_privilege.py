"""Least privilege, read from the code itself: IAM policy documents (Terraform) and the
Kubernetes Role of the remediator."""

from __future__ import annotations

from typing import Any

import pytest

# In a KMS key policy "*" as resource means "this key"; it is the one place a "*" may appear.
KEY_POLICY = "lake_key"
# Deny statements only take away (TLS-only bucket policies deny s3:* to everyone over HTTP).


def _allows(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if s.get("effect", "Allow") == "Allow"]


def _grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, resource) pairs an Allow grants, resources with the bucket variable kept."""
    return {
        (a, r) for s in _allows(statements) for a in s["actions"] for r in s.get("resources", [])
    }


def test_no_allow_grants_a_wildcard_action(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    for name, statements in policy_documents.items():
        for statement in _allows(statements):
            for action in statement["actions"]:
                assert action != "*" and not action.endswith(":*"), f"{name}: {action}"
                assert "*" not in action, f"{name}: wildcard in action {action}"


def test_no_allow_grants_a_wildcard_resource(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    for name, statements in policy_documents.items():
        if name == KEY_POLICY:
            continue
        for statement in _allows(statements):
            for resource in statement.get("resources", []):
                assert resource != "*", f"{name}: resource *"
                assert not resource.startswith("arn:aws:s3:::*"), f"{name}: {resource}"


def test_the_key_policy_lists_its_actions(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    actions = {a for s in policy_documents[KEY_POLICY] for a in s["actions"]}
    assert "kms:*" not in actions and all("*" not in a for a in actions)


def test_wildcard_principals_only_ever_deny(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    for name, statements in policy_documents.items():
        for statement in _allows(statements):
            for principal in statement.get("principals", []):
                assert "*" not in principal["identifiers"], f"{name}: Allow to principal *"


def test_pipeline_reads_bronze_and_writes_silver_rejects_reports(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    grants = _grants(policy_documents["pipeline"])
    lake = "${local.lake_arn}"
    assert ("s3:GetObject", f"{lake}/bronze/*") in grants
    for prefix in ("silver", "rejects", "reports"):
        assert ("s3:PutObject", f"{lake}/{prefix}/*") in grants
    # Bronze is append-only for the pipeline: never written or deleted.
    assert not {(a, r) for a, r in grants if "bronze" in r and a != "s3:GetObject"}
    # It never touches quarantine or backups.
    assert not {r for _, r in grants if "quarantine" in r or "backup" in r}


def test_remediator_may_do_exactly_what_its_actions_need(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    grants = _grants(policy_documents["remediator"])
    lake, quarantine, backup = "${local.lake_arn}", "${local.quarantine_arn}", "${local.backup_arn}"
    key = "${aws_kms_key.lake.arn}"
    assert grants == {
        ("s3:ListBucket", lake),
        ("s3:GetObject", f"{lake}/silver/*"),
        ("s3:PutObject", f"{lake}/silver/*"),
        ("s3:DeleteObject", f"{lake}/silver/*"),
        ("s3:PutObject", f"{quarantine}/*"),
        ("s3:GetObject", f"{quarantine}/*"),
        ("s3:ListBucket", backup),
        ("s3:GetObject", f"{backup}/*"),
        ("kms:Decrypt", key),
        ("kms:GenerateDataKey", key),
    }


def test_remediator_lists_only_silver_in_the_lake(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    (listing,) = [s for s in policy_documents["remediator"] if s.get("sid") == "ListSilver"]
    assert listing["condition"][0]["values"] == ["silver/*"]


def test_github_role_trusts_one_repository_and_branch_only(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    (statement,) = policy_documents["github_trust"]
    conditions = {c["variable"]: c for c in statement["condition"]}
    sub = conditions["token.actions.githubusercontent.com:sub"]
    assert sub["test"] == "StringEquals"  # not StringLike: no wildcard branches or repositories
    assert sub["values"] == ["repo:${var.github_repository}:ref:refs/heads/${var.github_branch}"]
    assert conditions["token.actions.githubusercontent.com:aud"]["values"] == ["sts.amazonaws.com"]


def test_github_role_only_reads(policy_documents: dict[str, list[dict[str, Any]]]) -> None:
    actions = {a for a, _ in _grants(policy_documents["github"])}
    assert actions == {"s3:ListBucket", "s3:GetObject", "kms:Decrypt"}


def test_service_accounts_are_pinned_in_each_irsa_trust(
    policy_documents: dict[str, list[dict[str, Any]]],
) -> None:
    (statement,) = policy_documents["irsa"]
    (sub,) = [c for c in statement["condition"] if c["variable"].endswith(":sub")]
    assert sub["test"] == "StringEquals"
    assert sub["values"] == ["system:serviceaccount:${var.k8s_namespace}:${each.key}"]


def test_kubernetes_role_allows_get_cronjobs_and_create_jobs_only(
    manifests: dict[tuple[str, str], dict[str, Any]],
) -> None:
    role = manifests[("Role", "sre-remediator-retrigger")]
    rules = {
        (group, resource): sorted(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert rules == {("batch", "cronjobs"): ["get"], ("batch", "jobs"): ["create"]}
    (cronjobs,) = [r for r in role["rules"] if r["resources"] == ["cronjobs"]]
    assert cronjobs["resourceNames"] == ["potato-pipeline"]


@pytest.mark.parametrize("kind", ["ClusterRole", "ClusterRoleBinding"])
def test_no_cluster_wide_rbac(manifests: dict[tuple[str, str], dict[str, Any]], kind: str) -> None:
    assert not [name for k, name in manifests if k == kind]


def test_role_is_bound_to_the_remediator_only(
    manifests: dict[tuple[str, str], dict[str, Any]],
) -> None:
    binding = manifests[("RoleBinding", "sre-remediator-retrigger")]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "sre-remediator", "namespace": "potato-pipeline"}
    ]
