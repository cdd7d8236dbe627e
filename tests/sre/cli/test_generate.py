"""`sre generate [--check]` on the real spec: the committed artefacts are current, drift is
listed file by file, and generation is fast."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sre.cli import main
from sre.cli.generate import read_content, render

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def in_repo() -> object:
    cwd = Path.cwd()
    os.chdir(REPO)
    yield
    os.chdir(cwd)


def test_the_committed_artefacts_are_up_to_date(in_repo: object) -> None:
    result = CliRunner().invoke(main, ["generate", "--check"])
    assert result.exit_code == 0, result.output


def test_check_lists_every_file_that_differs_and_writes_nothing(
    in_repo: object, tmp_path: Path
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["generate", "--out", str(tmp_path)]).exit_code == 0
    (tmp_path / "alerts" / "alertmanager.yml").write_text("edited by hand\n")
    (tmp_path / "dashboards" / "overview.json").unlink()
    (tmp_path / "alerts" / "tests" / "Old.test.yml").write_text("# generated once\n")
    result = runner.invoke(main, ["generate", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "differs: alerts/alertmanager.yml" in result.output
    assert "missing: dashboards/overview.json" in result.output
    assert "stale: alerts/tests/Old.test.yml" in result.output
    assert (tmp_path / "alerts" / "alertmanager.yml").read_text() == "edited by hand\n"


def test_generate_removes_stale_generated_files(in_repo: object, tmp_path: Path) -> None:
    (tmp_path / "alerts" / "tests").mkdir(parents=True)
    (tmp_path / "alerts" / "tests" / "Old.test.yml").write_text("x")
    result = CliRunner().invoke(main, ["generate", "--env", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "alerts" / "tests" / "Old.test.yml").exists()
    assert "> 20" in (tmp_path / "alerts" / "potato-pipeline.rules.yml").read_text()


def test_every_generated_file_says_it_is_generated(in_repo: object) -> None:
    files = render("pipeline.service:SERVICE", "prod", read_content(REPO / "runbooks"))
    for path, text in files.items():
        assert "do not edit" in text.split("\n", 3)[0] + text[:400], path


def test_a_bad_service_path_is_a_usage_error(in_repo: object) -> None:
    result = CliRunner().invoke(main, ["generate", "--check", "--service", "nowhere:X"])
    assert result.exit_code == 2
    assert "cannot import 'nowhere'" in result.output


def test_generation_takes_under_two_seconds() -> None:
    content = read_content(REPO / "runbooks")
    render("pipeline.service:SERVICE", "prod", content)  # imports done once
    started = time.perf_counter()
    render("pipeline.service:SERVICE", "prod", content)
    render("pipeline.service:SERVICE", "demo", content)
    assert time.perf_counter() - started < 2.0
