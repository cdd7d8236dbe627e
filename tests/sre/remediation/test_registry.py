"""One registry: built-ins and `sre.actions` plugins, checked when the spec loads."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sre.errors import SpecError
from sre.remediation.registry import BUILTINS, Registry, discover
from sre.spec.remediation import RemediationPolicy

from .plugins.install import install


def test_the_built_ins_are_the_generic_and_the_data_actions() -> None:
    assert {a.name for a in discover(plugins=False)} == {
        "command",
        "http",
        "kubernetes-job",
        "kubernetes-rollout-restart",
        "quarantine",
        "restore",
        "backup",
    }
    assert len(BUILTINS) == 7


def test_an_unknown_action_is_a_spec_error_listing_the_known_ones() -> None:
    with pytest.raises(SpecError, match="unknown action 'retrigger'; known: backup, command, http"):
        RemediationPolicy("X", "retrigger")


def test_an_unknown_or_missing_param_is_a_spec_error_naming_it() -> None:
    with pytest.raises(SpecError, match="unknown comand; command takes argv, labels"):
        RemediationPolicy("X", "command", params={"argv": ["true"], "target": "t", "comand": 1})
    with pytest.raises(SpecError, match=r"params\.argv: is required"):
        RemediationPolicy("X", "command", params={"target": "t"})


def test_params_are_frozen_with_their_defaults() -> None:
    policy = RemediationPolicy("X", "command", params={"argv": ["true"], "target": "t"})
    assert policy.params["argv"] == ("true",) and policy.params["timeout"] == 3600.0
    with pytest.raises(TypeError):
        policy.params["timeout"] = 1  # type: ignore[index]


@pytest.fixture
def plugin_on_path(tmp_path: Path) -> Iterator[Path]:
    site = install(tmp_path / "site")
    sys.path.insert(0, str(site))
    yield site
    sys.path.remove(str(site))
    for name in [m for m in sys.modules if m.startswith("sre_connector_restart")]:
        del sys.modules[name]


def test_a_plugin_installed_by_entry_point_is_discovered(plugin_on_path: Path) -> None:
    found = discover()
    assert found.origins["restart-connector"] == "plugin sre-connector-restart"
    assert found.get("restart-connector").target_label == "connector"
    assert found.origins["command"] == "built-in"


def test_a_plugin_may_not_replace_a_built_in(tmp_path: Path) -> None:
    site = install(tmp_path / "site")
    points = next(site.glob("*.dist-info")) / "entry_points.txt"
    points.write_text("[sre.actions]\ncommand = sre_connector_restart:RestartConnector\n")
    sys.path.insert(0, str(site))
    try:
        with pytest.raises(SpecError, match="calls itself 'restart-connector'"):
            discover()
    finally:
        sys.path.remove(str(site))


def test_a_lookup_of_an_unknown_name_lists_what_is_known() -> None:
    with pytest.raises(SpecError, match="known: backup, command"):
        Registry.of(discover(plugins=False).actions.values()).get("nope")
