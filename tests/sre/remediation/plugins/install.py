"""Install the example plugin the way pip lays a distribution out, into a folder of its own.

A site folder holding the package and a `<name>-<version>.dist-info` with `METADATA` and the
`entry_points.txt` generated from the plugin's own pyproject.toml is what `importlib.metadata`
(and so `sre`'s registry) discovers on `sys.path`; no build backend or index is needed.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

PLUGIN = Path(__file__).parents[4] / "examples" / "plugins" / "sre-connector-restart"


def install(site: Path, source: Path = PLUGIN) -> Path:
    """Install `source` into `site`; returns `site` (put it on PYTHONPATH)."""
    project = tomllib.loads((source / "pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    for package in (source / "src").iterdir():
        if package.is_dir() and (package / "__init__.py").exists():
            shutil.copytree(package, site / package.name, dirs_exist_ok=True)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, points in project.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return site
