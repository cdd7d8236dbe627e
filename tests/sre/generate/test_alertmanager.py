from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from pipeline.service import SERVICE
from sre.generate.alertmanager import alertmanager_config
from tests.support.components import require


def _config(env: str = "prod") -> dict[str, object]:
    environment = SERVICE.environment(env)
    return alertmanager_config(SERVICE.resolved(environment), environment)


def test_routes_go_by_severity_after_the_remediation_webhook() -> None:
    routes = _config()["route"]["routes"]  # type: ignore[index]
    assert routes[0]["receiver"] == "sre-remediator" and routes[0]["continue"] is True
    assert [r["matchers"] for r in routes[1:]] == [
        ['severity="critical"'], ['severity="warning"'], ['severity="info"'],
    ]
    assert "PipelineDataStale" in routes[0]["matchers"][0]


def test_the_webhook_reads_its_bearer_token_from_a_file_and_sends_resolved() -> None:
    receivers = {r["name"]: r for r in _config()["receivers"]}  # type: ignore[attr-defined]
    hook = receivers["sre-remediator"]["webhook_configs"][0]
    assert hook["send_resolved"] is True
    assert hook["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/etc/alertmanager/secrets/sre-remediator-token",
    }


def test_critical_inhibits_warning_for_the_same_pipeline() -> None:
    rule = _config()["inhibit_rules"][0]  # type: ignore[index]
    assert rule["source_matchers"] == ['severity="critical"']
    assert rule["target_matchers"][0] == 'severity="warning"'
    assert rule["equal"] == ["pipeline"]


def test_a_faster_burn_tier_mutes_the_slower_ones_of_the_same_slo() -> None:
    fast, medium = _config()["inhibit_rules"][1:]  # type: ignore[index]
    assert fast == {
        "source_matchers": ['slo="task-success"', 'burn_tier="fast"'],
        "target_matchers": ['slo="task-success"', 'burn_tier=~"medium|slow"'],
        "equal": ["slo", "pipeline"],
    }
    assert medium["source_matchers"][1] == 'burn_tier="medium"'
    assert medium["target_matchers"][1] == 'burn_tier=~"slow"'


def test_amtool_accepts_the_config(tmp_path: Path) -> None:
    amtool = shutil.which("amtool")
    require("amtool", amtool is not None, "install the Debian package prometheus-alertmanager")
    assert amtool is not None
    for env in ("prod", "demo"):
        path = tmp_path / f"{env}.yml"
        path.write_text(yaml.safe_dump(_config(env)))
        done = subprocess.run(
            [amtool, "check-config", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
