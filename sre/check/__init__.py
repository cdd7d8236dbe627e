"""`sre check`: the generated artefacts checked by real tools and against each other.

Each check returns `Problem`s; none raises for a finding. Files are read from `root` (the
repository, or any `sre generate --out` folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sre.check.alertmanager import check_config
from sre.check.dashboards import lint_dashboards
from sre.check.problem import Problem
from sre.check.prometheus import check_rules, test_rules
from sre.check.rules import check_rule_references, load_alert_rules, recorded_names
from sre.check.runbooks import check_runbooks
from sre.check.site import build_site
from sre.spec.service import Service

__all__ = ["Problem", "run_checks"]


def run_checks(
    root: Path,
    service: Service,
    env_name: str,
    site_dir: Path,
    progress: Callable[[str, int], None] | None = None,
) -> list[Problem]:
    """Every check, in order; `progress(name, problems)` after each."""
    env = service.environment(env_name)
    problems: list[Problem] = []

    def step(name: str, found: list[Problem]) -> None:
        problems.extend(found)
        if progress:
            progress(name, len(found))

    name = service.name
    step("promtool check rules", check_rules(root, name))
    step("promtool test rules", test_rules(root, name))
    step("amtool check-config", check_config(root, service))
    step("rule references", check_rule_references(root, service))
    known = set(service.metrics) | recorded_names(root, name)
    step("dashboard lint", lint_dashboards(root, known, name))
    built = build_site(root, site_dir)
    step("mkdocs build --strict", built)
    # mkdocs writes the pages before it aborts on warnings, so anchors are checked either way.
    step(
        "runbook integrity",
        check_runbooks(root, load_alert_rules(root, name), service, env, site_dir),
    )
    return problems
