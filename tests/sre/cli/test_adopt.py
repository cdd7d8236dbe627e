"""A team adopting `sre`: init, generate, check, and the examples, without the potato pipeline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ("orders-etl", "checkout-api")

# Runs `sre` with `pipeline` unimportable: any import of it fails as if it were not installed.
BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "pipeline" or name.startswith("pipeline."):
            raise ImportError("pipeline is blocked in this test")
sys.meta_path.insert(0, Block())
from sre.cli import main
sys.argv = ["sre", *sys.argv[1:]]
main()
"""


def sre(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SRE_SERVICE", None)
    return subprocess.run(
        [sys.executable, "-c", BLOCKED, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_init_generate_check_passes(tmp_path: Path):
    folder = tmp_path / "D"
    assert sre("init", "demo-svc", "--dir", str(folder), cwd=tmp_path).returncode == 0
    generated = sre("generate", cwd=folder)
    assert generated.returncode == 0, generated.stderr
    checked = sre("check", "-q", cwd=folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (folder / "alerts").is_dir() and (folder / "mkdocs.yml").is_file()


def test_init_refuses_to_overwrite(tmp_path: Path):
    assert sre("init", "demo-svc", cwd=tmp_path).returncode == 0
    again = sre("init", "demo-svc", cwd=tmp_path)
    assert again.returncode == 1 and "exists; nothing written" in again.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_artefacts_are_up_to_date(name: str):
    result = sre("generate", "--check", cwd=ROOT / "examples" / name)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_sre_check_passes_on_the_example(name: str, tmp_path: Path):
    result = sre("check", "-q", "--site-dir", str(tmp_path / "site"), cwd=ROOT / "examples" / name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sre_runs_without_pipeline(tmp_path: Path):
    example = ROOT / "examples" / "orders-etl"
    assert sre("generate", "--out", str(tmp_path / "out"), cwd=example).returncode == 0
    checked = sre("check", "-q", "--site-dir", str(tmp_path / "site"), cwd=example)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    payload = tmp_path / "alert.json"
    payload.write_text(
        '{"version": "4", "status": "firing", "receiver": "sre", "groupKey": "g",'
        ' "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",'
        ' "truncatedAlerts": 0, "alerts": [{"status": "firing", "labels": {"alertname":'
        ' "OrdersStale", "severity": "warning"}, "annotations": {}, "startsAt":'
        ' "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",'
        ' "fingerprint": "abc"}]}'
    )
    state = f"sqlite:///{tmp_path / 'state.db'}"
    simulated = sre("simulate", str(payload), "--state", state, cwd=example)
    assert simulated.returncode == 0, simulated.stdout + simulated.stderr
    assert sre("serve", "--help", cwd=example).returncode == 0


def test_a_spec_error_is_one_line_and_exit_2(tmp_path: Path):
    spec = (ROOT / "examples/orders-etl/sre.yaml").read_text()
    spec = spec.replace("window: 30d", 'window: "7x"')
    (tmp_path / "orders.yaml").write_text(spec)
    result = sre("generate", "--service", "orders.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'error: orders.yaml: slos[1].window: "7x" is not a duration (write e.g. "10m", "26h")'
    ]
    assert "Traceback" not in result.stderr


def test_without_any_spec_sre_says_how_to_name_one(tmp_path: Path):
    result = sre("generate", cwd=tmp_path)
    assert result.returncode == 2 and "no service spec" in result.stderr
