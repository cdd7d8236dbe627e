"""The HA drill, short form: on the real HA topology (3 Alertmanager peers, 2 Prometheus
replicas, 2 `sre serve` replicas on PostgreSQL), one stale-data incident with every fault at
once; it must be remediated exactly once (`make ha-drill` plays each fault on its own too)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scripts import ha_drill
from sre.stack import PACKAGES
from tests.sre.remediation.test_replicas import PG, postgres_available
from tests.support.components import require

pytestmark = pytest.mark.integration


def test_every_fault_at_once_still_remediates_exactly_once(tmp_path: Path) -> None:
    missing = sorted({PACKAGES[p] for p in PACKAGES if shutil.which(p) is None})
    require("Prometheus, Alertmanager and Pushgateway", not missing, f"missing {missing}")
    require("PostgreSQL", postgres_available(), f"nothing answers at {PG}")
    rows = tmp_path / "rows.json"
    code = ha_drill.main(
        ["--root", str(tmp_path / "drill"), "--faults", "together", "--json", str(rows)]
    )
    [row] = json.loads(rows.read_text())
    assert code == 0, row
    assert row["runs_per_episode"] == [1] and row["outcomes"] == ["success"]
    assert {"alertmanager-2 killed and restarted", "rolling restart of both replicas"} <= set(
        row["injected"]
    ), row["injected"]
    assert row["unprocessed"] == 0 and set(row["replayed"]) == {202}
