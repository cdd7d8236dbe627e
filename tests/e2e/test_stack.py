"""`sre stack up|status|down` start the real components and stop every one of them by PID; a
start that fails stops what it had started."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import yaml

from sre.stack import PACKAGES, StackError, StackSpec, up
from tests.support.components import require

pytestmark = pytest.mark.integration
SRE = str(Path(sys.executable).parent / "sre")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    missing = sorted({PACKAGES[p] for p in PACKAGES if shutil.which(p) is None})
    require("Prometheus, Alertmanager and Pushgateway", not missing, f"missing {missing}")
    out = tmp_path / "artefacts"
    subprocess.run(
        [SRE, "generate", "--env", "demo", "--out", str(out)], cwd=REPO, check=True,
        capture_output=True,
    )  # fmt: skip
    return out


def running_children() -> set[int]:
    return {
        p.pid
        for p in psutil.Process().children(recursive=True)
        if p.status() != psutil.STATUS_ZOMBIE
    }


def test_up_status_down_through_the_command_line(artefacts: Path, tmp_path: Path) -> None:
    folder = tmp_path / "stack"
    base = [SRE, "stack"]
    started = subprocess.run(
        [*base, "up", "--dir", str(folder), "--artefacts", str(artefacts), "--json",
         "--setenv", "ORDERS_DB=postgresql://orders"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    record = json.loads(started.stdout) if started.returncode == 0 else {}
    try:
        assert started.returncode == 0, started.stderr
        assert set(record["pids"]) == {"pushgateway", "alertmanager", "remediator", "prometheus"}
        assert all(url.startswith("http://127.0.0.1:") for url in record["urls"].values())
        # the service's own settings reach sre serve (so the commands its actions run), and
        # are recorded for the jobs run against the stack
        serve = psutil.Process(record["pids"]["remediator"])
        assert serve.environ()["ORDERS_DB"] == "postgresql://orders"
        assert record["env"]["ORDERS_DB"] == "postgresql://orders"
        status = subprocess.run([*base, "status", "--dir", str(folder), "--json"],
                                capture_output=True, text=True, check=False)  # fmt: skip
        assert status.returncode == 0 and all(json.loads(status.stdout)["alive"].values())
        am = yaml.safe_load((folder / "alertmanager.yml").read_text())
        hooks = [h for r in am["receivers"] for h in r.get("webhook_configs", [])]
        assert [h["url"] for h in hooks] == [f"{record['urls']['remediator']}/alertmanager"]
    finally:
        subprocess.run([*base, "down", "--dir", str(folder)], check=False, capture_output=True)
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in record.get("pids", {}).values())  # fmt: skip
    after = subprocess.run([*base, "status", "--dir", str(folder)], capture_output=True, text=True)
    assert after.returncode == 1 and "no stack recorded" in after.stdout


def test_a_failed_start_stops_what_it_had_started(artefacts: Path, tmp_path: Path) -> None:
    config = artefacts / "alerts" / "potato-pipeline.alertmanager.yml"
    broken = yaml.safe_load(config.read_text())
    broken["route"]["receiver"] = "nobody"  # Alertmanager refuses it and exits
    config.write_text(yaml.safe_dump(broken))
    before = running_children()
    with pytest.raises(StackError, match="alertmanager"):
        up(StackSpec(folder=tmp_path / "stack", artefacts=artefacts, install=False))
    assert running_children() == before
    assert not (tmp_path / "stack" / "stack.json").exists()


def test_a_setting_that_is_not_name_equals_value_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [SRE, "stack", "up", "--dir", str(tmp_path), "--setenv", "ORDERS_DB"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "'ORDERS_DB' is not NAME=VALUE" in done.stderr
    assert not (tmp_path / "stack.json").exists()
