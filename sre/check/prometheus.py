"""promtool: rule files check, unit tests, and a PromQL parse of arbitrary expressions."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from sre.check.problem import Problem
from sre.check.tools import run, which

__all__ = ["check_rules", "parse_errors", "rule_files", "test_files", "test_rules"]

_FAILED_TEST = re.compile(r"^\s*FAILED:?\s*$")
_PARSE = re.compile(r'"(lint_\d+)": could not parse expression: (.*)$')


def rule_files(root: Path, service: str | None = None) -> list[Path]:
    """The rule files under `root`, or only `service`'s when several share the folder."""
    return sorted((root / "alerts").glob(f"{service or '*'}.rules.yml"))


def test_files(root: Path, service: str | None = None) -> list[Path]:
    return sorted((root / "alerts" / "tests").glob(f"{service or '*'}/*.test.yml"))


def check_rules(root: Path, service: str | None = None) -> list[Problem]:
    """`promtool check rules` on every rule file."""
    promtool, problems = which("promtool", "promtool check rules")
    files = rule_files(root, service)
    if not files:
        problems.append(Problem("promtool check rules", "alerts/", "no *.rules.yml files"))
    if promtool is None or not files:
        return problems
    for path in files:
        done = run([promtool, "check", "rules", str(path)])
        if done.code != 0:
            detail = " | ".join(
                line.strip() for line in done.output.splitlines()[1:] if line.strip()
            )
            problems.append(Problem("promtool check rules", _rel(path, root), detail))
    return problems


def test_rules(root: Path, service: str | None = None) -> list[Problem]:
    """`promtool test rules` on every test file; one problem per failing file."""
    promtool, problems = which("promtool", "promtool test rules")
    files = test_files(root, service)
    if not files:
        problems.append(Problem("promtool test rules", "alerts/tests/", "no *.test.yml files"))
    if promtool is None or not files:
        return problems
    # One process per file, side by side: each file replays hours of samples.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        runs = list(pool.map(lambda p: run([promtool, "test", "rules", str(p)]), files))
    for path, done in zip(files, runs, strict=True):
        if done.code != 0:
            lines = [line.strip() for line in done.output.splitlines() if line.strip()]
            detail = " | ".join(line for line in lines[1:] if not _FAILED_TEST.match(line))
            problems.append(Problem("promtool test rules", _rel(path, root), detail[:2000]))
    return problems


def parse_errors(exprs: Mapping[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """Key -> parse error for every expression PromQL rejects, in one promtool call."""
    promtool, problems = which("promtool", "promql parse")
    if promtool is None or not exprs:
        return {}, problems
    keys = list(exprs)
    doc = {
        "groups": [
            {"name": f"lint_{i}", "rules": [{"record": f"lint_{i}", "expr": exprs[key]}]}
            for i, key in enumerate(keys)
        ]
    }
    with tempfile.TemporaryDirectory(prefix="sre-lint-") as tmp:
        path = Path(tmp) / "lint.rules.yml"
        path.write_text(yaml.safe_dump(doc, width=4096), encoding="utf-8")
        done = run([promtool, "check", "rules", str(path)])
    errors: dict[str, str] = {}
    for line in done.output.splitlines():
        match = _PARSE.search(line)
        if match:
            errors[keys[int(match.group(1).removeprefix("lint_"))]] = match.group(2)
    if done.code != 0 and not errors:
        problems.append(Problem("promql parse", "promtool", done.output[:500]))
    return errors, problems


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
