"""The on-call CLI: simulate touches nothing, remediate dry-runs by default, runs can be undone."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sre.cli import main
from sre.remediation.action import Stores
from sre.remediation.actions import quarantine
from sre.remediation.deps import Checkpoint
from sre.remediation.state import StateStore
from sre.storage import LocalStore

from .conftest import NOW, contents, data_files, write_silver
from .fakes import alert, payload


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    lake = LocalStore(tmp_path / "lake", create=True)
    write_silver(lake, {"weight_daily": [5, 5], "nutrition_daily": [4]})
    return {
        "--lake": str(tmp_path / "lake"),
        "--quarantine": str(tmp_path / "quarantine"),
        "--backup": str(tmp_path / "backup"),
        "--state": f"sqlite:///{tmp_path / 'state.db'}",
    }


def sre(
    *args: str, places: dict[str, str] | None = None, stdin: str | None = None
) -> tuple[int, str, str]:
    flags = [x for pair in (places or {}).items() for x in pair]
    result = CliRunner().invoke(main, [*args, *flags], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_simulate_says_what_would_happen_and_changes_nothing(
    places: dict[str, str], tmp_path: Path
) -> None:
    before = contents(LocalStore(Path(places["--lake"])))
    body = tmp_path / "alert.json"
    body.write_bytes(payload(alert(name="PipelineDataCorrupted", prefix="silver/weight_daily/")))
    code, out, _ = sre("simulate", str(body), "--json", places=places)
    assert code == 0
    found = json.loads(out)
    quarantine = next(f for f in found if f["action"] == "quarantine")
    assert quarantine["target"] == "silver/weight_daily/"
    assert quarantine["outcome"] == "awaiting_approval"  # prod mode: approve
    assert any("weight_daily" in step for step in quarantine["plan"])
    assert contents(LocalStore(Path(places["--lake"]))) == before
    assert sre("runs", "list", "--json", places={"--state": places["--state"]})[1].strip() == "[]"


def test_simulate_refuses_a_hostile_prefix_label(places: dict[str, str], tmp_path: Path) -> None:
    body = tmp_path / "alert.json"
    body.write_bytes(payload(alert(name="PipelineDataCorrupted", prefix="silver/../bronze/")))
    code, out, _ = sre("simulate", str(body), "--json", places=places)
    assert code == 0
    assert {f["outcome"] for f in json.loads(out) if f.get("action") == "quarantine"} == {
        "refused_target"
    }


def test_remediate_plans_by_default_and_acts_only_when_told(places: dict[str, str]) -> None:
    lake = LocalStore(Path(places["--lake"]))
    before = contents(lake, "silver/weight_daily/")
    code, out, _ = sre("remediate", "quarantine", "silver/weight_daily/", places=places)
    assert code == 0 and "dry run: nothing changed" in out
    assert contents(lake, "silver/weight_daily/") == before

    code, out, _ = sre(
        "remediate",
        "quarantine",
        "silver/weight_daily/",
        "--execute",
        places=places,
        stdin="silver/nutrition_daily/\n",
    )
    assert code == 1 and contents(lake, "silver/weight_daily/") == before  # wrong confirmation

    code, out, _ = sre(
        "remediate",
        "quarantine",
        "silver/weight_daily/",
        "--execute",
        places=places,
        stdin="silver/weight_daily/\n",
    )
    assert code == 0, out
    assert data_files(lake, "weight_daily") == []  # the data files; the log stays
    assert contents(lake, "silver/weight_daily/_delta_log/")
    [run] = json.loads(sre("runs", "list", "--json", places={"--state": places["--state"]})[1])
    assert {
        "id",
        "action",
        "target",
        "alertname",
        "fingerprint",
        "episode",
        "mode",
        "outcome",
        "started_at",
        "finished_at",
    } <= set(run)
    assert (run["action"], run["outcome"], run["mode"]) == ("quarantine", "success", "manual")

    undo_places = {k: v for k, v in places.items()}
    code, out, _ = sre("runs", "undo", str(run["id"]), "--yes", places=undo_places)
    assert code == 0, out
    assert contents(lake, "silver/weight_daily/") == before


def test_remediate_refuses_unsafe_targets_before_planning(places: dict[str, str]) -> None:
    for prefix in (
        "../etc/",
        "/etc/passwd",
        "bronze/",
        "silver/_CURRENT.json",
        "silver/a;rm -rf /",
    ):
        code, _, err = sre("remediate", "quarantine", prefix, places=places)
        assert code == 2 and "error:" in err


def test_pause_resume_and_circuit_status(places: dict[str, str]) -> None:
    state = {"--state": places["--state"]}
    assert sre("pause", "quarantine", places=state)[0] == 0
    code, out, _ = sre("circuit", "status", "--json", places=state)
    assert code == 0
    assert [s["name"] for s in json.loads(out)["paused"]] == ["quarantine"]
    assert sre("resume", "quarantine", places=state)[0] == 0
    assert json.loads(sre("circuit", "status", "--json", places=state)[1])["paused"] == []
    assert sre("circuit", "reset", "quarantine", "silver/", places=state)[0] == 1  # nothing open


def test_audit_list_filters_by_alert_and_time_and_show_prints_one_record(tmp_path: Path) -> None:
    from .fakes import deliver, make_engine

    engine = make_engine(tmp_path)
    deliver(engine, payload(alert("a1"), alert("b2", name="Other")))
    state = f"sqlite:///{tmp_path / 'state.db'}"
    runner = CliRunner()
    listed = runner.invoke(main, ["audit", "list", "--state", state, "--alert", "Other", "--json"])
    assert listed.exit_code == 0, listed.output
    [record] = json.loads(listed.output)
    assert (record["alertname"], record["outcome"]) == ("Other", "no_policy")
    table = runner.invoke(main, ["audit", "list", "--state", state, "--since", "1h"])
    assert table.output.split()[:3] == ["ID", "AT", "ALERT"]  # the fake clock is in 2027
    old = runner.invoke(main, ["audit", "list", "--state", state, "--since", "2030-01-01"])
    assert "no audit records match" in old.output
    shown = runner.invoke(main, ["audit", "show", str(record["id"]), "--state", state])
    assert json.loads(shown.output)["fingerprint"] == "b2"
    missing = runner.invoke(main, ["audit", "show", "999", "--state", state])
    assert missing.exit_code != 0 and "no audit record 999" in missing.output
    runs = runner.invoke(main, ["runs", "list", "--state", state])
    assert runs.output.split()[:2] == ["ID", "STARTED"]


def test_tables_lists_each_delta_table_and_exits_1_on_a_damaged_file(
    places: dict[str, str],
) -> None:
    lake = places["--lake"]
    code, out, _ = sre("tables", lake, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["problems"] == []
    assert doc["tables"] == {
        "silver/nutrition_daily": {"version": 0, "files": 1},
        "silver/weight_daily": {"version": 1, "files": 2},
    }

    store = LocalStore(Path(lake))
    (victim,) = data_files(store, "nutrition_daily")
    store.write_bytes(victim, b"not the bytes that were written")
    code, out, _ = sre("tables", lake)
    assert code == 1 and victim in out and "1 problem(s)" in out


def test_a_run_killed_mid_quarantine_is_undone_only_with_force(places: dict[str, str]) -> None:
    """What a replica killed half-way leaves: the run `running`, its undo record saved by the
    checkpoint before the deletes, some originals gone. Undo waits for recovery unless forced."""
    lake = LocalStore(Path(places["--lake"]))
    held = LocalStore(Path(places["--quarantine"]), create=True)
    stores = Stores(lake, held, LocalStore(Path(places["--backup"]), create=True))
    before = contents(lake)
    prefix = "silver/weight_daily/"
    plan = quarantine.plan(prefix, quarantine.inventory(stores, prefix), incident="ab12-1")
    saved: list[dict[str, Any]] = []
    store = StateStore.open(places["--state"], owner="gone-replica")
    run = store.open_run(
        {
            "action": "quarantine",
            "target": prefix,
            "fingerprint": "ab12",
            "episode": 1,
            "alertname": "PipelineDataCorrupted",
            "mode": "auto",
            "state": "running",
            "attempt": 1,
            "started_at": 1.0,
        }
    )
    assert run is not None
    first_delete = next(s for s in plan.steps if s.op == "delete")

    class KilledAfterTheFirstDelete(Checkpoint):
        def undo(self, doc: Mapping[str, Any]) -> None:
            saved.append(json.loads(json.dumps(doc)))
            store.update(run, undo=saved[-1])
            if any(i["state"] == "deleted" for i in saved[-1]["items"]):
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        quarantine.apply(plan, stores, incident="ab12-1", now=NOW, keep=KilledAfterTheFirstDelete())
    assert not lake.exists(first_delete.src)

    code, _, err = sre("runs", "undo", str(run), "--yes", places=places)
    assert code == 1 and "still running (owner gone-replica)" in err
    assert not lake.exists(first_delete.src)  # refused: nothing touched
    code, out, _ = sre("runs", "undo", str(run), "--yes", "--force", places=places)
    assert code == 0, out
    assert contents(lake) == before
    assert store.run(run)["state"] == "done"
