"""`sre/remediation/actions/` holds actions only: one module each, with its test and its runbook
page of the same name, and every module is registered."""

from __future__ import annotations

import importlib
from pathlib import Path

from sre.remediation.action import BaseAction
from sre.remediation.registry import BUILTINS

ROOT = Path(__file__).parents[3]
ACTIONS = sorted(
    p.stem for p in (ROOT / "sre" / "remediation" / "actions").glob("*.py") if p.stem != "__init__"
)


def test_every_action_module_has_its_test_and_its_runbook_page() -> None:
    for name in ACTIONS:
        assert (ROOT / "tests" / "sre" / "remediation" / "actions" / f"test_{name}.py").is_file()
        assert (ROOT / "runbooks" / "actions" / f"{name}.md").is_file()
    assert sorted(p.stem for p in (ROOT / "runbooks" / "actions").glob("*.md")) == ACTIONS


def test_every_action_module_defines_exactly_the_one_registered_action() -> None:
    registered = {path.partition(":")[0].rsplit(".", 1)[1] for path in BUILTINS}
    assert registered == set(ACTIONS)
    for name in ACTIONS:
        module = importlib.import_module(f"sre.remediation.actions.{name}")
        actions = [
            v
            for v in vars(module).values()
            if isinstance(v, type)
            and issubclass(v, BaseAction)
            and v is not BaseAction
            and v.__module__ == module.__name__
        ]
        assert len(actions) == 1, (name, actions)


def test_no_remediation_module_is_much_over_300_lines() -> None:
    for path in (ROOT / "sre" / "remediation").rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 320, path
