"""The CI templates for adopting teams: the GitHub workflows validate offline against
check-jsonschema's built-in GitHub workflow schema (and its timeout rule), run the commands
the docs promise, and the pre-commit hooks manifest is well formed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
TOOL = Path(sys.executable).parent / "check-jsonschema"


@pytest.mark.parametrize("schema", ["vendor.github-workflows",
                                    "custom.github-workflows-require-timeout"])  # fmt: skip
def test_the_workflows_match_the_github_workflow_schema(schema: str) -> None:
    assert len(WORKFLOWS) == 2
    done = subprocess.run(
        [str(TOOL), "--builtin-schema", schema, *map(str, WORKFLOWS)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    steps: []\n")  # no runs-on
    done = subprocess.run(
        [str(TOOL), "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1


def _runs(name: str) -> list[str]:
    doc = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())
    return [s.get("run", "") for job in doc["jobs"].values() for s in job["steps"]]


def test_the_check_workflow_runs_the_drift_check_and_every_check() -> None:
    runs = _runs("sre.yml")
    assert "sre generate --check" in runs and "sre check" in runs


def test_the_site_workflow_builds_strict_and_publishes_to_pages() -> None:
    doc = yaml.safe_load((REPO / ".github" / "workflows" / "runbooks.yml").read_text())
    assert any("mkdocs build --strict" in r for r in _runs("runbooks.yml"))
    uses = [s.get("uses", "") for job in doc["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert doc["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_the_pre_commit_hooks_manifest_is_well_formed() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["sre-generate-check", "sre-check"]
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert hook["entry"].split()[0] == "sre"
