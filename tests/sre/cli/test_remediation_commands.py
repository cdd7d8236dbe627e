"""The remediation commands as an on-call meets them: one registry, named services, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sre.cli import main
from sre.exitcodes import ExitCode
from sre.remediation.state import StateStore
from tests.sre.remediation.fakes import alert, payload

SPEC = ["--service", "pipeline.service:SERVICE"]


def sre(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sre_actions_lists_every_registered_action_with_its_params() -> None:
    code, out, _ = sre("actions", "--json")
    assert code == ExitCode.OK
    found = {a["name"]: a for a in json.loads(out)}
    assert {
        "command",
        "http",
        "kubernetes-job",
        "kubernetes-rollout-restart",
        "quarantine",
        "restore",
        "backup",
    } <= set(found)
    assert found["quarantine"]["destructive"] and found["quarantine"]["origin"] == "built-in"
    argv = next(p for p in found["command"]["params"] if p["name"] == "argv")
    assert (argv["kind"], argv["required"]) == ("list", True)
    code, out, _ = sre("actions")
    assert code == 0 and "command  (built-in)" in out


def test_an_unknown_action_is_a_usage_error_listing_the_known_ones() -> None:
    code, _, err = sre("remediate", "retrigger", *SPEC)
    assert code == ExitCode.USAGE and "unknown action 'retrigger'; known:" in err


def test_a_command_for_another_service_refuses_the_spec_it_found() -> None:
    code, _, err = sre(
        "remediate",
        "command",
        "--alert",
        "PipelineDataStale",
        "--service-name",
        "orders-etl",
        *SPEC,
    )
    assert code == ExitCode.USAGE
    assert "is service 'potato-pipeline', not 'orders-etl'" in err and err.count("\n") == 1


def test_an_action_used_by_several_alerts_needs_alert() -> None:
    code, _, err = sre("remediate", "command", *SPEC)
    assert code == ExitCode.USAGE and "pick one with --alert" in err


def test_simulate_takes_the_duplicate_check_the_webhook_takes(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    store = StateStore.open(state, "potato-pipeline")
    body = tmp_path / "alert.json"
    body.write_bytes(payload(alert("f9", pipeline="potato-pipeline")))
    code, out, _ = sre("simulate", str(body), "--json", "--state", state, *SPEC)
    assert code == 0 and [f["outcome"] for f in json.loads(out)] == ["act"]
    episode = store.firing("f9", "PipelineDataStale", 1_795_000_000.0, 1_795_000_000.0)
    assert episode is not None
    store.open_run(
        {
            "action": "command",
            "target": "potato-pipeline",
            "fingerprint": "f9",
            "episode": episode.id,
            "alertname": "PipelineDataStale",
            "mode": "auto",
            "state": "done",
            "outcome": "success",
            "attempt": 1,
            "started_at": 1.0,
        }
    )
    code, out, _ = sre("simulate", str(body), "--json", "--state", state, *SPEC)
    assert [f["outcome"] for f in json.loads(out)] == ["skipped_duplicate"]
    assert len(store.runs()) == 1  # simulate recorded nothing


def test_runs_list_names_the_service_of_each_run(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    for service in ("orders-etl", "potato-pipeline"):
        StateStore.open(state, service).open_run(
            {
                "action": "command",
                "target": "t",
                "fingerprint": "f",
                "episode": 1,
                "alertname": "A",
                "mode": "auto",
                "state": "done",
                "outcome": "success",
                "attempt": 1,
                "started_at": 1.0,
            }
        )
    code, out, _ = sre("runs", "list", "--json", "--state", state)
    assert code == 0
    assert sorted(r["service"] for r in json.loads(out)) == ["orders-etl", "potato-pipeline"]
    code, out, _ = sre("runs", "list", "--json", "--state", state, "--service-name", "orders-etl")
    assert [r["service"] for r in json.loads(out)] == ["orders-etl"]


def test_an_old_state_database_is_refused_with_what_to_do(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, action TEXT)")
    code, _, err = sre("runs", "list", "--state", f"sqlite:///{path}")
    assert code == ExitCode.UNAVAILABLE and "move it aside" in err
