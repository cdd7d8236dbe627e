from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.service import SERVICE
from sre.cli.generate import read_content
from sre.errors import GenerateError
from sre.generate.expressions import expression, remediation_command
from sre.generate.runbooks import parse_sections, runbook_site

REPO = Path(__file__).resolve().parents[3]


def _site(content: dict[str, str] | None = None) -> dict[str, object]:
    env = SERVICE.environment("prod")
    return runbook_site(SERVICE.resolved(env), env, content or read_content(REPO / "runbooks"))


def test_one_page_per_alert_and_per_procedure() -> None:
    site = _site()
    for alert in SERVICE.alerts:
        assert f"runbooks/site/potato-pipeline/alerts/{alert.name}.md" in site
    for slug in ("maintenance", "backup-validation", "disaster-recovery", "capacity-planning"):
        assert f"runbooks/site/potato-pipeline/procedures/{slug}.md" in site


def test_an_alert_page_has_every_section_the_exact_query_and_the_cli() -> None:
    page = str(_site()["runbooks/site/potato-pipeline/alerts/PipelineDataStale.md"])
    for heading in (
        "Meaning",
        "Impact",
        "Diagnosis",
        "Mitigation",
        "Automated remediation",
        "Severity and escalation",
    ):
        assert f"## {heading}" in page
    resolved = SERVICE.resolved(SERVICE.environment("prod"))
    alert = resolved.alerts[0]
    assert expression(alert, resolved) in page
    assert (
        remediation_command(alert, resolved)
        == "sre remediate command --alert PipelineDataStale --service-name potato-pipeline"
    )
    assert remediation_command(alert, resolved) in page
    assert "L4" not in page  # P1: no director


def test_the_single_file_runbook_has_the_anchors_the_alerts_point_to() -> None:
    text = str(_site()["ops/runbook.md"])
    for heading in ("## Data Freshness Issues", "## Pipeline Failures", "## Performance Issues"):
        assert f"\n{heading}\n" in text
    assert text == _site()["runbooks/site/potato-pipeline/runbook.md"]


def test_missing_hand_written_content_names_the_file() -> None:
    content = read_content(REPO / "runbooks")
    del content["alerts/PipelineTaskLatency.md"]
    with pytest.raises(GenerateError, match=r"runbooks/alerts/PipelineTaskLatency\.md"):
        _site(content)


def test_a_hand_written_page_without_mitigation_is_refused() -> None:
    content = read_content(REPO / "runbooks")
    content["alerts/PipelineTaskLatency.md"] = "## Meaning\n\nx\n\n## Impact\n\ny\n"
    with pytest.raises(GenerateError, match="Mitigation"):
        _site(content)


def test_sections_split_on_second_level_headings() -> None:
    assert parse_sections("intro\n## A\n\none\n### sub\n## B\ntwo\n", "x") == {
        "": "intro",
        "A": "one\n### sub",
        "B": "two",
    }


def test_action_pages_written_by_people_join_the_site_and_its_nav() -> None:
    from sre.generate.runbooks import action_pages

    content = read_content(REPO / "runbooks")
    content["actions/quarantine.md"] = "# quarantine\n\nMoves objects.\n"
    assert action_pages({"actions/q.md": "# q\n", "alerts/X.md": "# X\n"}) == {
        "actions/q.md": "# q\n"
    }
    site = _site(content)
    assert (
        site["runbooks/site/potato-pipeline/actions/quarantine.md"]
        == content["actions/quarantine.md"]
    )
    nav = site["mkdocs.yml"]["nav"]  # type: ignore[index]
    service = dict(nav[1])["Potato Pipeline"]
    actions = next(entry["Actions"] for entry in service if "Actions" in entry)
    assert {"quarantine": "potato-pipeline/actions/quarantine.md"} in actions
