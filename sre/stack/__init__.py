"""The local stack: the real Pushgateway, Prometheus, Alertmanager and `sre serve` on loopback,
for the demo, the end-to-end tests and the time-to-repair benchmark (`sre stack up|down|status`).
"""

from __future__ import annotations

from sre.stack.errors import StackError
from sre.stack.packages import PACKAGES, ensure_binaries
from sre.stack.stack import Running, Shape, StackSpec, down, running, status, up

__all__ = [
    "PACKAGES",
    "Running",
    "Shape",
    "StackError",
    "StackSpec",
    "down",
    "ensure_binaries",
    "running",
    "status",
    "up",
]
