"""A service whose policies use the example plugin's `restart-connector` action: `JobStale`
restarts on its own, `JobFailing` waits for a human. Imported only by processes that have the
plugin installed (`sre serve`, `sre runs approve` with the plugin's site on PYTHONPATH)."""

from __future__ import annotations

import dataclasses
import os

from sre.spec.remediation import Limits, RemediationPolicy
from tests.sre.example_service import SERVICE as BASE

# Read once, here at the edge of this test spec: the fake Connect server's port is chosen at
# random by the test.
_CONNECT = {"url": os.environ.get("CONNECT_URL", "http://127.0.0.1:9"), "wait": 5.0}
_LIMITS = Limits(cooldown=1, max_attempts_per_day=100)

SERVICE = dataclasses.replace(
    BASE,
    name="connectors",
    remediation=(
        RemediationPolicy(
            "JobStale", "restart-connector", mode="auto", params=_CONNECT, limits=_LIMITS
        ),
        RemediationPolicy(
            "JobFailing", "restart-connector", mode="approve", params=_CONNECT, limits=_LIMITS
        ),
    ),
)
