from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sre.cli.generate import read_content, render, write
from tests.support.components import require

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def tools() -> None:
    """promtool, amtool and mkdocs, or skip (fail under CI=true)."""
    for tool, package in (("promtool", "prometheus"), ("amtool", "prometheus-alertmanager")):
        require(tool, shutil.which(tool) is not None, f"install the Debian package {package}")
    require("mkdocs", importlib.util.find_spec("mkdocs") is not None, "pip install mkdocs-material")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's prod artefacts, generated once; tests copy them before breaking them."""
    root = tmp_path_factory.mktemp("generated")
    write(root, render("pipeline.service:SERVICE", "prod", read_content(REPO / "runbooks")))
    return root


@pytest.fixture
def artefacts(generated: Path, tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "repo"
    shutil.copytree(generated, root)
    yield root
