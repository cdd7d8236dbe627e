"""Which service `sre` works on, and where its files are: the project config.

Order: `--service`, else `$SRE_SERVICE`, else `[tool.sre]` in ./pyproject.toml (`service`,
`runbooks`, `out`, `environments`), else ./sre.yaml. There is no built-in default service.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sre.errors import SpecFileError
from sre.spec.environment import Environment
from sre.spec.formats.convert import INVALID, Problems, build

__all__ = ["Project", "find_project"]

_KEYS = {"service", "runbooks", "out", "environments"}


@dataclass(frozen=True, slots=True)
class Project:
    """The resolved service reference and the folders and environments that go with it."""

    service: str
    origin: str  # where the reference came from, for messages
    runbooks: Path
    out: Path
    environments: tuple[Environment, ...] = ()


def _default_runbooks(ref: str, cwd: Path) -> Path:
    if ref.endswith((".yaml", ".yml")):
        return Path(ref).parent / "runbooks"
    return cwd / "runbooks" if cwd != Path() else Path("runbooks")


def _tool_sre(cwd: Path) -> Mapping[str, Any] | None:
    path = cwd / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecFileError([f"{path}: {exc}"]) from exc
    table = data.get("tool", {}).get("sre")
    return table if isinstance(table, Mapping) else None


def find_project(service: str | None, env: Mapping[str, str], cwd: Path = Path()) -> Project:
    """The project `sre` runs on; SpecFileError when nothing names a service."""
    ref = service or env.get("SRE_SERVICE")
    if ref:
        origin = "--service" if service else "SRE_SERVICE"
        return Project(ref, origin, _default_runbooks(ref, cwd), cwd)
    table = _tool_sre(cwd)
    if table is not None and "service" in table:
        problems = Problems(str(cwd / "pyproject.toml"))
        for key in sorted(set(table) - _KEYS):
            problems.add(f"tool.sre.{key}", f"unknown key (known: {', '.join(sorted(_KEYS))})")
        envs = table.get("environments", {})
        built = INVALID
        if isinstance(envs, Mapping):
            built = build(
                tuple[Environment, ...],
                [{"name": k, **v} if isinstance(v, Mapping) else v for k, v in envs.items()],
                "tool.sre.environments",
                problems,
                {},
            )
        else:
            problems.add("tool.sre.environments", "must be a table of environments")
        for key in ("service", "runbooks", "out"):
            if key in table and not isinstance(table[key], str):
                problems.add(f"tool.sre.{key}", "must be a string")
        problems.check()
        ref = str(table["service"])
        if ref.endswith((".py", ".yaml", ".yml")):
            ref = str(cwd / ref) if cwd != Path() else ref
        return Project(
            ref,
            "pyproject.toml [tool.sre]",
            cwd / table["runbooks"] if "runbooks" in table else _default_runbooks(ref, cwd),
            cwd / table.get("out", "."),
            tuple(built),
        )
    if (cwd / "sre.yaml").is_file():
        ref = str(cwd / "sre.yaml") if cwd != Path() else "sre.yaml"
        return Project(ref, "sre.yaml", _default_runbooks(ref, cwd), cwd)
    raise SpecFileError(
        [
            "no service spec: pass --service (MODULE:ATTR, a .py or a .yaml file), set "
            "SRE_SERVICE, add `[tool.sre] service = ...` to ./pyproject.toml, or write ./sre.yaml "
            "(`sre init NAME`)"
        ]
    )
