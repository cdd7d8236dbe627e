"""Which service `sre` works on: --service > $SRE_SERVICE > [tool.sre] > ./sre.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from sre.errors import SpecFileError
from sre.spec.formats.python_spec import load_python_spec
from sre.spec.project import find_project


def test_order_of_resolution(tmp_path: Path):
    (tmp_path / "sre.yaml").write_text("apiVersion: sre/v1\n")
    assert find_project(None, {}, tmp_path).origin == "sre.yaml"
    (tmp_path / "pyproject.toml").write_text('[tool.sre]\nservice = "spec.yaml"\nout = "gen"\n')
    project = find_project(None, {}, tmp_path)
    assert (project.origin, project.service, project.out) == (
        "pyproject.toml [tool.sre]",
        str(tmp_path / "spec.yaml"),
        tmp_path / "gen",
    )
    assert find_project(None, {"SRE_SERVICE": "a.b:C"}, tmp_path).service == "a.b:C"
    assert find_project("x.yaml", {"SRE_SERVICE": "a.b:C"}, tmp_path).service == "x.yaml"


def test_no_potato_default(tmp_path: Path):
    with pytest.raises(SpecFileError) as err:
        find_project(None, {}, tmp_path)
    assert "no service spec" in str(err.value) and "pipeline" not in str(err.value)


def test_project_environments_are_checked_with_their_path(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sre]\nservice = "s.yaml"\n[tool.sre.environments.prod]\nsite_url = "nope"\n'
    )
    with pytest.raises(SpecFileError) as err:
        find_project(None, {}, tmp_path)
    assert any(
        line.endswith("tool.sre.environments[0].runbook_base_url: required")
        for line in err.value.problems
    )


def test_this_repository_names_its_spec_in_pyproject():
    project = find_project(None, {}, Path())
    assert project.service == "pipeline.service:SERVICE"


def test_python_spec_with_a_duration_string_is_one_line(tmp_path: Path):
    spec = tmp_path / "badspec.py"
    spec.write_text(
        "from sre.spec import Alert, Threshold\n"
        "ALERT = Alert(name='X', priority='P1', summary='s', description='d', section='a',\n"
        "              expr=Threshold('s', 'objective'), for_='10m')\n"
    )
    with pytest.raises(SpecFileError) as err:
        load_python_spec(str(spec))
    (line,) = err.value.problems
    assert line == f"{spec}:2: Alert.for_: '10m' is not a number of seconds (write 600)"
