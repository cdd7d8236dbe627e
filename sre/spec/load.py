"""Load a service spec from any front end, so `sre` never imports a particular service.

A reference is `package.module:ATTR` or a `.py` file (Python), or a `.yaml`/`.yml` file whose
`apiVersion` says which format it is: `sre/v1` (ours) or `openslo/v1` (OpenSLO).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import yaml

from sre.errors import SpecFileError
from sre.spec.environment import Environment
from sre.spec.formats.openslo import API_VERSION as OPENSLO
from sre.spec.formats.openslo import load_openslo
from sre.spec.formats.python_spec import load_python_spec
from sre.spec.formats.yaml_spec import API_VERSION as OURS
from sre.spec.formats.yaml_spec import load_yaml_spec, merge_environments
from sre.spec.service import Service

__all__ = ["is_yaml", "load_service", "read_yaml_documents"]


def is_yaml(ref: str) -> bool:
    return ref.endswith((".yaml", ".yml"))


def read_yaml_documents(path: Path) -> list[object]:
    """Every document of a YAML file; SpecFileError with the line of a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecFileError([f"{path}: cannot read: {exc.strerror or exc}"]) from exc
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecFileError([f"{path}: {where}: {reason}"]) from exc


def _load_yaml(path: Path, environments: Sequence[Environment]) -> Service:
    docs = read_yaml_documents(path)
    if not docs:
        raise SpecFileError([f"{path}: the file is empty"])
    versions = {d.get("apiVersion") if isinstance(d, dict) else None for d in docs}
    if versions == {OURS}:
        if len(docs) > 1:
            raise SpecFileError([f"{path}: an {OURS} file holds one document, not {len(docs)}"])
        assert isinstance(docs[0], dict)
        return load_yaml_spec(docs[0], str(path), environments)
    if versions == {OPENSLO}:
        return load_openslo(docs, str(path), environments)
    found = ", ".join(sorted(str(v) for v in versions))
    raise SpecFileError(
        [f"{path}: apiVersion: {found} is not {OURS} (our format) or {OPENSLO} (OpenSLO)"]
    )


def load_service(ref: str, environments: Sequence[Environment] = ()) -> Service:
    """The Service `ref` names; `environments` (from the project config) replace the spec's
    environments of the same name. SpecFileError lists every problem, one line each."""
    if is_yaml(ref):
        return _load_yaml(Path(ref), environments)
    service = load_python_spec(ref)
    if environments:
        try:
            return replace(
                service, environments=merge_environments(service.environments, environments)
            )
        except ValueError as exc:
            raise SpecFileError([f"{ref}: with the project's environments: {exc}"]) from exc
    return service
