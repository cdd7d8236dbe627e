"""Bounded fuzzing of admission and the worker, on SQLite and PostgreSQL: raw bytes and
Alertmanager-shaped JSON never raise anything but PayloadError, the worker never dies, and
every stored firing alert has a recorded decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sre.errors import PayloadError
from sre.remediation.engine import RemediationEngine

from .fakes import make_engine, policy
from .test_replicas import database as database

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
text = st.text(max_size=20)
labels = st.dictionaries(text, text, max_size=5).map(
    lambda d: {**d, "alertname": d.get("alertname") or "PipelineDataStale"}
)
alert = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["firing", "resolved", "x"]),
        "labels": labels,
        "annotations": st.dictionaries(text, text, max_size=3),
        "startsAt": st.sampled_from(["2026-11-26T03:00:00Z", "0001-01-01T00:00:00Z", "x", ""]),
        "endsAt": st.sampled_from(["0001-01-01T00:00:00Z", "2026-11-26T04:00:00Z"]),
        "fingerprint": st.from_regex(r"[0-9a-f]{1,16}", fullmatch=True) | text,
        "generatorURL": text,
    }
)
shaped = st.fixed_dictionaries(
    {
        "version": st.sampled_from(["4", "3", 4]),
        "status": st.sampled_from(["firing", "resolved"]),
        "receiver": text,
        "groupKey": text,
        "alerts": st.lists(alert, max_size=4),
        "truncatedAlerts": st.integers(min_value=-1, max_value=1 << 70) | st.booleans(),
    }
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> RemediationEngine:
    db = request.getfixturevalue("database") if request.param == "postgresql" else None
    per_pipeline = policy(params={"argv": ["true", "${pipeline}"], "labels": ["pipeline"]})
    return make_engine(tmp_path, per_pipeline, db=db)


def _try(engine: RemediationEngine, body: bytes) -> None:
    try:
        delivery, note = engine.admit(body)
    except PayloadError as exc:
        assert "\n" not in str(exc)
        return
    engine.drain()
    assert delivery not in engine.store.dead_letters()
    recorded = {a["fingerprint"] for a in engine.store.audit(10_000) if a["delivery"] == delivery}
    recorded |= {a["fingerprint"] for a in engine.store.audit(10_000)}
    for item in note.alerts:
        if item.status == "firing":
            assert item.fingerprint in recorded


@FUZZ
@given(doc=shaped)
def test_alertmanager_shaped_json(engine: RemediationEngine, doc: dict[str, Any]) -> None:
    _try(engine, json.dumps(doc).encode())


@FUZZ
@given(body=st.binary(max_size=300) | shaped.map(lambda d: json.dumps(d).encode()[:-3]))
def test_raw_bytes(engine: RemediationEngine, body: bytes) -> None:
    _try(engine, body)
