"""The policy for tests that need a real component (SeaweedFS, Prometheus, ...).

On a laptop a missing component skips the test with a reason; under CI (CI=true) it fails it,
so a broken CI image cannot turn the integration suite into a row of quiet skips.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest


def require(
    component: str, available: bool, reason: str, *, env: Mapping[str, str] | None = None
) -> None:
    """Return if `available`; otherwise skip the test, or fail it when CI == "true"."""
    if available:
        return
    message = f"{component} is not available: {reason}"
    if (os.environ if env is None else env).get("CI") == "true":
        pytest.fail(f"{message} (CI=true, where integration components must be present)")
    pytest.skip(message)
