"""The command line as users and tools see it: help, JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.sample import SampleSpec, write_sample

from .conftest import DropWriter, nutrition_rows


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", [[], ["run"], ["sample-data"], ["validate"], ["status"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0
    assert "Usage:" in out and len(out.splitlines()) > 5


def test_generated_dirt_is_rejected_exactly_as_the_generator_says(tmp_path: Path) -> None:
    summary = write_sample(SampleSpec(participants=12, days=10, seed=3, dirt=0.1), tmp_path)
    code, out, _ = invoke("run", "--lake", str(tmp_path), "--json")
    assert code == 0
    rejected = json.loads(out)["rejected"]
    by_kind = {
        "bad_date": sum(n for rule, n in rejected.items() if rule.endswith("_date_is_date")),
        "impossible_value": sum(n for rule, n in rejected.items() if rule.endswith("_in_range")),
        "duplicate": sum(n for rule, n in rejected.items() if rule.endswith("duplicate_row")),
    }
    assert by_kind == {kind: summary.dirt[kind] for kind in by_kind}
    assert sum(rejected.values()) == sum(
        by_kind.values()
    )  # the other dirt is cleaned, not rejected
    status = json.loads(invoke("status", "--lake", str(tmp_path), "--json")[1])
    kept = status["silver"]["nutrition_entries"]["rows"] + status["silver"]["weight_daily"]["rows"]
    assert kept > 0


def test_status_json_has_the_documented_shape(tmp_path: Path, drop: DropWriter, lake: Path) -> None:
    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])
    assert invoke("run", "--lake", str(lake))[0] == 0
    assert invoke("run", "--lake", str(lake))[0] == 0
    doc = json.loads(invoke("status", "--lake", str(lake), "--json")[1])
    assert {"snapshot", "silver", "rejects", "runs"} <= set(doc)
    table = doc["silver"]["nutrition_entries"]
    assert table["rows"] == 20
    assert len(table["files"]) == 1
    assert table["files"][0].startswith("silver/nutrition_entries/month=2026-10/")
    assert (lake / table["files"][0]).is_file()
    assert table["version"] == 0 and doc["versions"]["nutrition_entries"] == 0
    assert doc["runs"][1]["versions"] == doc["versions"]
    assert doc["rejects"] == {"nutrition.duplicate_row": 1}
    assert [r["status"] for r in doc["runs"]] == ["noop", "success"]  # newest first


def test_the_lake_comes_from_the_environment_when_no_flag_is_given(
    drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11")
    code, out, _ = invoke("run", "--json", env={"POTATO_LAKE": str(lake)})
    assert code == 0 and json.loads(out)["lake"] == str(lake)


def test_an_unknown_lake_path_is_one_clear_line_and_exit_3(tmp_path: Path) -> None:
    code, _, err = invoke("status", "--lake", str(tmp_path / "nowhere"))
    assert code == 3
    assert err.strip().splitlines() == [
        f"error: lake directory {tmp_path / 'nowhere'} does not exist (set --lake or POTATO_LAKE)"
    ]


def test_a_failed_run_exits_1_and_names_the_file(drop: DropWriter, lake: Path) -> None:
    drop("2026-10-11", raw={"weight_log": b""})
    code, _, err = invoke("run", "--lake", str(lake))
    assert code == 1
    assert "bronze/ingest_date=2026-10-11/weight_log.csv: empty file" in err
    assert "committed silver is unchanged" in err


def test_validate_exits_1_when_a_reject_limit_is_broken_and_writes_nothing(
    drop: DropWriter, lake: Path
) -> None:
    bad = [r.replace(",300,", ",-300,") for r in nutrition_rows(1)]
    drop("2026-10-11", nutrition=bad)
    code, out, _ = invoke("validate", "--lake", str(lake), "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["rejected"] == {"nutrition.quantity_g_in_range": 10}
    assert "nutrition.csv: 10 of 20 rows rejected" in doc["breaches"][0]
    assert sorted(p.name for p in lake.iterdir()) == ["bronze"]


def test_validate_passes_on_clean_bronze(drop: DropWriter, lake: Path) -> None:
    drop("2026-10-11")
    code, out, _ = invoke("validate", "--lake", str(lake))
    assert code == 0
    assert "within its contract's reject limit" in out


def test_sample_data_refuses_bad_values_with_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sample-data", "--out", str(tmp_path), "--dirt", "0.9"])
    assert result.exit_code == 2
    assert "dirt" in result.stderr
