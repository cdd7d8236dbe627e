"""What a spec file may leave out: the priority table and a local `prod` environment.

A Python spec states everything; a YAML or OpenSLO file gets these when it says nothing, so a
starter file stays short. Each is documented in docs/spec.md.
"""

from __future__ import annotations

from sre.spec.alert import Priority
from sre.spec.environment import Environment
from sre.spec.runbook import PriorityLevel

__all__ = ["DEFAULT_PRIORITIES", "local_environment"]

DEFAULT_PRIORITIES = (
    PriorityLevel(Priority.P0, "Critical", "< 15 min", ("The service is down for its users",)),
    PriorityLevel(Priority.P1, "High", "< 1 hour", ("An objective is being missed",)),
    PriorityLevel(Priority.P2, "Medium", "< 4 hours", ("Degraded, within the objective",)),
    PriorityLevel(Priority.P3, "Low", "< 24 hours", ("Needs attention, not urgently",)),
)


def local_environment(name: str = "prod") -> Environment:
    """An environment on this machine: the runbook site `mkdocs serve` shows, a local Grafana
    and `sre serve` on its default port. Declare your own under `environments:` (or in
    `[tool.sre.environments]`) before you deploy."""
    return Environment(
        name=name,
        runbook_base_url="http://127.0.0.1:8000/",
        site_url="http://127.0.0.1:8000/",
        site_style=True,
        grafana_url="http://127.0.0.1:3000",
        webhook_url="http://127.0.0.1:9095/alertmanager",
        webhook_credentials_file="secrets/sre-remediator-token",
    )
