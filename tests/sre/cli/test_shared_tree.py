"""Three services in one tree: the potato pipeline's committed files, and the two examples
generated beside them the way a monorepo would (a folder per service whose `[tool.sre]` points
`out` at the shared root and gives the shared site's URLs). `sre check` passes for each of them
on the shared tree: promtool on every rule file and test, amtool on every fragment merged, the
dashboards, one mkdocs site whose nav covers all three and where every alert link resolves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sre.check.alertmanager import check_config
from sre.cli.outputs import owner
from sre.spec.load import load_service

ROOT = Path(__file__).resolve().parents[3]
SRE = str(Path(sys.executable).parent / "sre")
# The potato pipeline's committed artefacts and what generates them.
POTATO = ("pyproject.toml", "mkdocs.yml", "alerts", "dashboards", "k8s", "ops", "runbooks")
EXAMPLES = {"orders-etl": "sre.yaml", "checkout-api": "openslo.yaml"}
# What every service of the tree says about the shared site (the potato pipeline's prod).
SHARED_PROD = """
[tool.sre.environments.prod]
runbook_base_url = "https://github.com/example/potato-weight-nutrition/blob/main/"
site_url = "https://runbooks.example.com/"
grafana_url = "https://grafana.example.com"
webhook_url = "http://sre-remediator:9095/alertmanager"
webhook_credentials_file = "/etc/alertmanager/secrets/sre-remediator-token"
"""


def sre(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SRE_SERVICE", None)
    return subprocess.run(
        [SRE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def snapshot(tree: Path) -> dict[str, bytes]:
    return {
        p.relative_to(tree).as_posix(): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file() and "services" not in p.relative_to(tree).parts
    }


def add_service(tree: Path, name: str) -> Path:
    """A service folder of the monorepo: its spec and hand-written pages, generating into the
    shared root."""
    folder = tree / "services" / name
    source = ROOT / "examples" / name
    folder.mkdir(parents=True)
    shutil.copy(source / EXAMPLES[name], folder / EXAMPLES[name])
    shutil.copytree(source / "runbooks", folder / "runbooks", ignore=shutil.ignore_patterns("site"))
    (folder / "pyproject.toml").write_text(
        f'[tool.sre]\nservice = "{EXAMPLES[name]}"\nrunbooks = "runbooks"\nout = "../.."\n'
        + SHARED_PROD
    )
    return folder


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    for name in POTATO:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    return root


def test_three_services_generate_into_one_tree_and_pass_sre_check(
    tree: Path, tmp_path: Path
) -> None:
    before = snapshot(tree)
    folders = {}
    for name in EXAMPLES:
        folders[name] = add_service(tree, name)
        done = sre("generate", cwd=folders[name])
        assert done.returncode == 0, done.stdout + done.stderr

    after = snapshot(tree)
    changed = {p for p in before if after.get(p) != before[p]}
    # Nothing of the potato pipeline was rewritten or removed; only the tree's site files.
    assert changed == {"mkdocs.yml", "runbooks/site/index.md"}
    assert {owner(after[p].decode()) for p in changed} == {"*"}
    for name in EXAMPLES:
        assert f"alerts/{name}.rules.yml" in after
        assert f"alerts/{name}.alertmanager.yml" in after
        assert f"ops/{name}.runbook.md" in after
        assert f"runbooks/site/{name}/index.md" in after
    nav = yaml.safe_load(after["mkdocs.yml"])["nav"]
    assert [next(iter(entry)) for entry in nav] == [
        "Home", "Checkout API", "Orders ETL", "Potato Pipeline",
    ]  # fmt: skip
    assert yaml.safe_load(after["mkdocs.yml"])["site_name"] == "Runbooks"
    home = after["runbooks/site/index.md"].decode()
    for name in ("checkout-api", "orders-etl", "potato-pipeline"):
        assert f"]({name}/index.md)" in home

    # Every service's drift check and full `sre check` pass on the shared tree.
    for cwd in (tree, *folders.values()):
        fresh = sre("generate", "--check", cwd=cwd)
        assert fresh.returncode == 0, fresh.stdout + fresh.stderr
        checked = sre("check", "--site-dir", str(tmp_path / "site"), cwd=cwd)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ok   amtool check-config" in checked.stderr
    site = tmp_path / "site"
    for page in (
        "potato-pipeline/alerts/PipelineDataStale/index.html",
        "orders-etl/alerts/OrdersStale/index.html",
        "checkout-api/alerts/LatencyBurnFast/index.html",
        "potato-pipeline/runbook/index.html",
        "index.html",
    ):
        assert (site / page).is_file(), page

    # Regenerating the potato pipeline afterwards changes nothing.
    again = sre("generate", cwd=tree)
    assert again.returncode == 0 and "(0 written, 0 stale removed)" in again.stdout
    assert snapshot(tree) == after


def test_amtool_checks_every_fragment_of_the_tree_merged(tree: Path) -> None:
    folder = add_service(tree, "orders-etl")
    assert sre("generate", cwd=folder).returncode == 0
    # A receiver of the same name in two fragments only shows when they are merged together.
    fragment = tree / "alerts" / "orders-etl.alertmanager.yml"
    data = yaml.safe_load(fragment.read_text())
    potato = yaml.safe_load((tree / "alerts" / "potato-pipeline.alertmanager.yml").read_text())
    clash = potato["receivers"][0]["name"]
    data["receivers"].append({"name": clash})
    fragment.write_text(yaml.safe_dump(data))
    problems = [str(p) for p in check_config(tree, load_service("pipeline.service:SERVICE"))]
    assert len(problems) == 1, problems
    assert "alerts/orders-etl.alertmanager.yml" in problems[0] and clash in problems[0]


def test_an_alert_removed_from_one_service_leaves_the_others_pages(tree: Path) -> None:
    folder = add_service(tree, "orders-etl")
    assert sre("generate", cwd=folder).returncode == 0
    spec = folder / "sre.yaml"
    text = spec.read_text()
    start = text.index("  - name: OrdersRunsFailing")
    spec.write_text(text[:start] + text[text.index("dashboards:") :])
    (folder / "runbooks" / "alerts" / "OrdersRunsFailing.md").unlink()
    before = snapshot(tree)
    done = sre("generate", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "stale removed" in done.stdout
    after = snapshot(tree)
    assert "runbooks/site/orders-etl/alerts/OrdersRunsFailing.md" not in after
    assert "OrdersRunsFailing" not in after["mkdocs.yml"].decode()
    potato = [p for p in before if "potato" in p or p.startswith("ops/runbook")]
    assert potato and all(after[p] == before[p] for p in potato)
