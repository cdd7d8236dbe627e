"""The Debian packages the stack runs: found on PATH, installed when missing and allowed."""

from __future__ import annotations

import os
import shutil
import subprocess

from sre.stack.errors import StackError

__all__ = ["PACKAGES", "ensure_binaries"]

# program -> the Debian package that ships it
PACKAGES = {
    "prometheus": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "prometheus-pushgateway": "prometheus-pushgateway",
}


def ensure_binaries(*, install: bool = True) -> dict[str, str]:
    """Program -> path. Missing Debian packages are installed when running as root (and
    `install`); otherwise StackError says exactly what to install."""
    found = {name: shutil.which(name) for name in PACKAGES}
    missing = sorted({PACKAGES[name] for name, path in found.items() if path is None})
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for argv in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        ):
            done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise StackError(f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}")
        found = {name: shutil.which(name) for name in PACKAGES}
        missing = sorted({PACKAGES[name] for name, path in found.items() if path is None})
    if missing:
        raise StackError(
            f"missing Debian packages: {' '.join(missing)}; install them with: sudo apt-get "
            f"install -y --no-install-recommends {' '.join(missing)}",
            component=missing[0],
        )
    return {name: str(path) for name, path in found.items()}
