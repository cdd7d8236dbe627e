"""The Alertmanager fragment a service generates, and `sre alertmanager merge` folding
fragments into a team's config that the real amtool accepts."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from pipeline.service import SERVICE
from sre.cli import main
from sre.errors import SpecError
from sre.generate.alertmanager import alertmanager_fragment, alertmanager_standalone
from sre.generate.alertmanager_merge import MergeError, merge
from sre.spec import Receiver
from tests.sre.example_service import SERVICE as JOB
from tests.support.components import require

# A team's existing config: its own global block, default receiver and a route of its own.
BASE = {
    "global": {"resolve_timeout": "5m"},
    "route": {
        "receiver": "team-default",
        "group_by": ["alertname"],
        "routes": [{"receiver": "db-team", "matchers": ['team="db"']}],
    },
    "receivers": [
        {"name": "team-default"},
        {"name": "db-team", "webhook_configs": [{"url": "http://127.0.0.1:9/db"}]},
    ],
}


def _fragment(service: Any = SERVICE, env: str = "prod") -> dict[str, Any]:
    environment = service.environment(env)
    return alertmanager_fragment(service.resolved(environment), environment)


def _amtool() -> str:
    amtool = shutil.which("amtool")
    require("amtool", amtool is not None, "install the Debian package prometheus-alertmanager")
    assert amtool is not None
    return amtool


def _amtool_accepts(amtool: str, path: Path) -> None:
    done = subprocess.run(
        [amtool, "check-config", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_fragment_routes_the_service_by_its_labels() -> None:
    route = _fragment()["route"]
    assert route["matchers"] == ['pipeline="potato-pipeline"']
    assert route["receiver"] == "potato-pipeline-chat"
    assert route["group_by"] == ["alertname", "pipeline"]
    notices, remediation, pager = route["routes"]
    assert notices["matchers"] == ['sre_notice=~".+"'] and notices["group_wait"] == "0s"
    assert remediation["receiver"] == "potato-pipeline-sre-remediator"
    assert remediation["continue"] is True and "PipelineDataStale" in remediation["matchers"][0]
    assert pager == {
        "receiver": "potato-pipeline-pager",
        "matchers": ['severity="critical"'],
        "repeat_interval": "1h",
    }


def test_receivers_come_from_the_spec_with_the_service_prefix_and_no_example_hosts() -> None:
    fragment = _fragment()
    names = [r["name"] for r in fragment["receivers"]]
    assert names == ["potato-pipeline-pager", "potato-pipeline-chat",
                     "potato-pipeline-sre-remediator"]  # fmt: skip
    text = yaml.safe_dump(fragment)
    assert "smtp" not in text and "example.com" not in text and "global" not in fragment


def test_any_receiver_type_passes_through_unchanged() -> None:
    opsgenie = {"opsgenie_configs": [{"api_key_file": "/s/key", "priority": "P1"}]}
    service = replace(JOB, receivers=(Receiver("genie", opsgenie, severities=("warning",)),))
    fragment = alertmanager_fragment(service, service.environment("prod"))
    assert fragment["receivers"][0] == {"name": "job-genie", **opsgenie}


def test_a_receiver_that_is_not_an_alertmanager_type_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="'slack' is not an Alertmanager receiver type"):
        Receiver("chat", {"slack": [{}]})
    with pytest.raises(SpecError, match="unknown severities"):
        Receiver("chat", {}, severities=("page",))


def test_an_inhibition_with_empty_equal_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="labels: give at least one label"):
        replace(JOB, labels={})


def test_the_webhook_reads_its_bearer_token_from_a_file_and_sends_resolved() -> None:
    receivers = {r["name"]: r for r in _fragment()["receivers"]}
    hook = receivers["potato-pipeline-sre-remediator"]["webhook_configs"][0]
    assert hook["send_resolved"] is True
    assert hook["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/etc/alertmanager/secrets/sre-remediator-token",
    }


def test_critical_inhibits_warning_for_the_same_pipeline() -> None:
    rule = _fragment()["inhibit_rules"][0]
    assert rule["source_matchers"] == ['severity="critical"']
    assert rule["target_matchers"][0] == 'severity="warning"'
    assert rule["equal"] == ["pipeline"]
    assert 'sre_notice=""' in rule["target_matchers"]  # a notice is never muted


@pytest.mark.parametrize(
    ("severity", "receiver"),
    [("critical", "potato-pipeline-pager"), ("warning", "potato-pipeline-chat")],
)
def test_the_remediators_notices_reach_the_human_receivers_not_the_webhook(
    tmp_path: Path, severity: str, receiver: str
) -> None:
    path = tmp_path / "alertmanager.yml"
    environment = SERVICE.environment("prod")
    path.write_text(yaml.safe_dump(alertmanager_standalone(SERVICE.resolved(environment),
                                                           environment)))  # fmt: skip
    labels = ["alertname=RemediationAwaitingApproval", "sre_notice=awaiting_approval",
              "pipeline=potato-pipeline", f"severity={severity}", "run=12"]  # fmt: skip
    done = subprocess.run(
        [_amtool(), "config", "routes", "test", f"--config.file={path}", *labels],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [receiver]


def test_a_faster_burn_tier_mutes_the_slower_ones_of_the_same_slo() -> None:
    fast, medium = _fragment()["inhibit_rules"][1:]
    assert fast == {
        "source_matchers": ['slo="task-success"', 'burn_tier="fast"'],
        "target_matchers": ['slo="task-success"', 'burn_tier=~"medium|slow"'],
        "equal": ["slo", "pipeline"],
    }
    assert medium["target_matchers"][1] == 'burn_tier=~"slow"'


def test_merge_puts_each_service_in_front_of_the_base_routes() -> None:
    merged = merge(BASE, [("a", _fragment()), ("b", _fragment(JOB))])
    routes = merged["route"]["routes"]
    assert [r["matchers"] for r in routes] == [
        ['pipeline="potato-pipeline"'], ['pipeline="job"'], ['team="db"'],
    ]  # fmt: skip
    assert merged["route"]["receiver"] == "team-default" and merged["global"] == BASE["global"]
    assert BASE["route"]["routes"] == [{"receiver": "db-team", "matchers": ['team="db"']}]


def test_merge_refuses_a_service_twice_and_a_taken_receiver_name() -> None:
    with pytest.raises(MergeError, match="b: route: a route matching"):
        merge(BASE, [("a", _fragment()), ("b", _fragment())])
    clash = _fragment()
    clash["route"]["matchers"] = ['pipeline="other"']
    clash["receivers"][0]["name"] = "db-team"
    with pytest.raises(MergeError, match="'db-team' is already defined in base"):
        merge(BASE, [("f", clash)])


def test_merge_refuses_an_inhibition_with_empty_equal() -> None:
    bad = _fragment()
    bad["inhibit_rules"][0]["equal"] = []
    with pytest.raises(MergeError, match=r"inhibit_rules\[0\].equal: empty"):
        merge(BASE, [("f", bad)])


def test_the_merge_command_writes_a_config_amtool_accepts(tmp_path: Path) -> None:
    amtool = _amtool()
    base = tmp_path / "base.yml"
    base.write_text(yaml.safe_dump(BASE))
    fragments = []
    for name, service in (("potato", SERVICE), ("job", JOB)):
        path = tmp_path / f"{name}.alertmanager.yml"
        path.write_text(yaml.safe_dump(_fragment(service)))
        fragments.append(str(path))
    result = CliRunner().invoke(main, ["alertmanager", "merge", str(base), *fragments])
    assert result.exit_code == 0, result.output
    out = tmp_path / "alertmanager.yml"
    out.write_text(result.stdout)
    _amtool_accepts(amtool, out)
    again = CliRunner().invoke(main, ["alertmanager", "merge", str(out), fragments[0]])
    assert again.exit_code == 2 and "merged twice" in again.output


def test_the_standalone_configs_pass_amtool(tmp_path: Path) -> None:
    amtool = _amtool()
    for env in ("prod", "demo", "compose"):
        environment = SERVICE.environment(env)
        path = tmp_path / f"{env}.yml"
        path.write_text(yaml.safe_dump(alertmanager_standalone(SERVICE.resolved(environment),
                                                               environment)))  # fmt: skip
        _amtool_accepts(amtool, path)


def test_the_merge_command_writes_to_a_file_and_names_a_bad_base(tmp_path: Path) -> None:
    fragment = tmp_path / "potato.alertmanager.yml"
    fragment.write_text(yaml.safe_dump(_fragment()))
    base = tmp_path / "base.yml"
    base.write_text(yaml.safe_dump({"route": {"group_by": ["alertname"]}}))
    result = CliRunner().invoke(main, ["alertmanager", "merge", str(base), str(fragment)])
    assert result.exit_code == 2
    assert "base: route.receiver: the base needs a root route with a receiver" in result.output
    base.write_text(yaml.safe_dump(BASE))
    out = tmp_path / "out.yml"
    result = CliRunner().invoke(
        main, ["alertmanager", "merge", str(base), str(fragment), "-o", str(out)]
    )
    assert result.exit_code == 0 and "1 fragment(s) merged" in result.output
    assert yaml.safe_load(out.read_text())["route"]["routes"][0]["matchers"] == [
        'pipeline="potato-pipeline"'
    ]
    fragment.write_text("route: [unclosed\n")
    result = CliRunner().invoke(main, ["alertmanager", "merge", str(base), str(fragment)])
    assert result.exit_code == 2 and "cannot read" in result.output
