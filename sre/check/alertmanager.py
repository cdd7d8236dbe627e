"""amtool check-config on the Alertmanager fragments of the tree (the service's and every other
`alerts/*.alertmanager.yml` beside it, merged into a minimal base the way a team merges them
into its own) and on the service's standalone config when one was generated."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from sre.check.problem import Problem
from sre.check.tools import run, which
from sre.generate.alertmanager import fragment_file, standalone_file
from sre.generate.alertmanager_merge import MergeError, merge, minimal_base
from sre.spec.service import Service

__all__ = ["amtool_check", "check_config"]

_CHECK = "amtool check-config"


def amtool_check(amtool: str, config: Path, name: str) -> list[Problem]:
    done = run([amtool, "check-config", str(config)])
    if done.code == 0:
        return []
    detail = " | ".join(line.strip() for line in done.output.splitlines() if line.strip())
    return [Problem(_CHECK, name, detail)]


def check_config(root: Path, service: Service) -> list[Problem]:
    amtool, problems = which("amtool", _CHECK)
    fragment = fragment_file(service)
    if not (root / fragment).is_file():
        return [*problems, Problem(_CHECK, fragment, "missing")]
    names = sorted(p.relative_to(root).as_posix() for p in root.glob("alerts/*.alertmanager.yml"))
    fragments = []
    for name in names:
        try:
            fragments.append((name, yaml.safe_load((root / name).read_text("utf-8"))))
        except yaml.YAMLError as exc:
            return [*problems, Problem(_CHECK, name, str(exc).replace("\n", " "))]
    try:
        merged = merge(minimal_base(), fragments)
    except MergeError as exc:  # its message names the file
        return [*problems, Problem(_CHECK, "merge", str(exc))]
    if amtool is None:
        return problems
    with tempfile.TemporaryDirectory(prefix="sre-amtool-") as tmp:
        config = Path(tmp) / "alertmanager.yml"
        config.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
        problems += amtool_check(amtool, config, f"{', '.join(names)} (merged into a minimal base)")
    standalone = root / standalone_file(service)
    if standalone.is_file():
        problems += amtool_check(amtool, standalone, standalone_file(service))
    return problems
