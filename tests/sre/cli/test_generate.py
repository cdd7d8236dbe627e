"""`sre generate [--check]` on the real spec: the committed artefacts are current, drift is
listed file by file, and generation is fast."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sre.cli import main
from sre.cli.generate import diff, read_content, render, write
from sre.cli.outputs import SITE_OWNER, header, owner
from sre.generate.site import SHARED_FILES

REPO = Path(__file__).resolve().parents[3]
OURS = "# " + header("potato-pipeline", "prod") + "\ngroups: []\n"


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
    fragment = tmp_path / "alerts" / "potato-pipeline.alertmanager.yml"
    fragment.write_text(fragment.read_text().replace("4h", "5h"))
    (tmp_path / "dashboards" / "potato-pipeline-overview.json").unlink()
    (tmp_path / "alerts" / "tests" / "potato-pipeline" / "Old.test.yml").write_text(OURS)
    result = runner.invoke(main, ["generate", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "differs: alerts/potato-pipeline.alertmanager.yml" in result.output
    assert "missing: dashboards/potato-pipeline-overview.json" in result.output
    assert "stale: alerts/tests/potato-pipeline/Old.test.yml" in result.output
    assert "5h" in fragment.read_text()


def test_generate_removes_stale_generated_files(in_repo: object, tmp_path: Path) -> None:
    (tmp_path / "alerts" / "tests").mkdir(parents=True)
    (tmp_path / "alerts" / "tests" / "Old.test.yml").write_text(OURS)
    result = CliRunner().invoke(main, ["generate", "--env", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 stale removed" in result.output
    assert not (tmp_path / "alerts" / "tests" / "Old.test.yml").exists()
    assert "> 20" in (tmp_path / "alerts" / "potato-pipeline.rules.yml").read_text()


def test_someone_elses_files_survive_generate(in_repo: object, tmp_path: Path) -> None:
    """A hand-written rules file, another team's dashboard and another service's generated
    test stay as they were: generation removes only its own service's files."""
    mine = {
        "alerts/hand-written.rules.yml": "groups: []\n",
        "dashboards/other-team.json": '{"title": "theirs"}\n',
        "alerts/tests/orders-etl/OrdersStale.test.yml": OURS.replace("potato-pipeline",
                                                                     "orders-etl"),
    }  # fmt: skip
    for path, text in mine.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["generate", "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "0 stale removed" in result.output
    assert {p: (tmp_path / p).read_text() for p in mine} == mine
    check = runner.invoke(main, ["generate", "--check", "--out", str(tmp_path)])
    assert check.exit_code == 0, check.output


def test_a_file_that_is_not_ours_is_never_overwritten(in_repo: object, tmp_path: Path) -> None:
    target = tmp_path / "alerts" / "potato-pipeline.rules.yml"
    target.parent.mkdir(parents=True)
    target.write_text("groups: []  # written by hand\n")
    other = tmp_path / "dashboards" / "potato-pipeline-overview.json"
    other.parent.mkdir(parents=True)
    other.write_text(OURS.replace("potato-pipeline", "another-service"))
    result = CliRunner().invoke(main, ["generate", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        "error: refusing to overwrite alerts/potato-pipeline.rules.yml: it was not generated "
        "by `sre generate`" in result.output
    )
    assert (
        "refusing to overwrite dashboards/potato-pipeline-overview.json: it was generated for "
        "service another-service" in result.output
    )
    assert target.read_text() == "groups: []  # written by hand\n"
    assert not (tmp_path / "alerts" / "tests").exists()  # nothing written at all
    check = CliRunner().invoke(main, ["generate", "--check", "--out", str(tmp_path)])
    assert check.exit_code == 1 and "refusing to overwrite" in check.output


def test_every_generated_file_says_it_is_generated(in_repo: object) -> None:
    files = render("pipeline.service:SERVICE", "prod", read_content(REPO / "runbooks"))
    for path, text in files.items():
        expected = SITE_OWNER if path in SHARED_FILES else "potato-pipeline"
        assert owner(text) == expected, path
        assert "do not edit" in (text if path.endswith(".json") else text[:400]), path


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


def test_two_services_share_one_tree(in_repo: object, tmp_path: Path) -> None:
    """The potato pipeline and another service generate rules, tests, Alertmanager fragments,
    dashboards and Kubernetes objects side by side; each regenerates without touching the
    other's. The tree has one runbook site: a service whose site_url differs is refused."""
    from tests.sre.example_service import CONTENT

    runner = CliRunner()
    assert runner.invoke(main, ["generate", "--out", str(tmp_path)]).exit_code == 0
    pages = tmp_path / "job-runbooks"
    for name, text in CONTENT.items():
        (pages / name).parent.mkdir(parents=True, exist_ok=True)
        (pages / name).write_text(text)
    other = render("tests.sre.example_service:SERVICE", "prod", CONTENT)
    refused = runner.invoke(
        main, ["generate", "--service", "tests.sre.example_service:SERVICE", "--out",
               str(tmp_path), "--runbooks", str(pages)],
    )  # fmt: skip
    assert refused.exit_code == 2
    assert (
        "refusing to rewrite mkdocs.yml: the tree's runbook site is served at "
        "https://runbooks.example.com/ (services potato-pipeline), this environment's site_url "
        "is https://docs.example.org/job/" in refused.output
    )
    assert not (tmp_path / "alerts" / "job.rules.yml").exists()  # nothing written
    shared = {p: t for p, t in other.items() if not p.startswith(("runbooks/", "ops/", "mkdocs"))}
    write(tmp_path, shared)
    assert {p.name for p in (tmp_path / "alerts").glob("*.alertmanager.yml")} == {
        "job.alertmanager.yml", "potato-pipeline.alertmanager.yml",
    }  # fmt: skip
    assert (tmp_path / "alerts" / "tests" / "job").is_dir()
    again = runner.invoke(main, ["generate", "--out", str(tmp_path)])
    assert again.exit_code == 0 and "(0 written, 0 stale removed)" in again.output
    assert diff(tmp_path, shared) == []
