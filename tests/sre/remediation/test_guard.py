"""The pre-check against a real Alertmanager: an alert silenced by a person is not acted on;
one silenced only by the engine's own silence (another policy of the same alert acting) is."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sre.remediation.clients import AlertmanagerGuard
from sre.remediation.payload import Alert
from tests.support.components import require
from tests.support.prometheus import _running, free_port

pytestmark = pytest.mark.integration
LABELS = {"alertname": "PipelineDataCorrupted", "prefix": "silver/t"}


def _call(url: str, body: Any = None, method: str = "GET") -> Any:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method)) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


def _state(url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = _call(f"{url}/api/v2/alerts")
        if found:
            return dict(found[0])
        time.sleep(0.1)
    raise AssertionError("Alertmanager never showed the alert")


def test_the_engines_own_silence_does_not_stop_the_next_policy_but_a_persons_does(
    tmp_path: Path,
) -> None:
    binary = shutil.which("prometheus-alertmanager")
    require("Alertmanager", binary is not None, "prometheus-alertmanager (make setup)")
    assert binary is not None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = {"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}
    (tmp_path / "am.yml").write_text(json.dumps(config))
    argv = [binary, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]  # fmt: skip
    with _running(argv, f"{url}/-/ready", "alertmanager", tmp_path):
        now = datetime.now(UTC)
        _call(f"{url}/api/v2/alerts", [{"labels": LABELS, "startsAt": now.isoformat()}], "POST")
        fingerprint = _state(url)["fingerprint"]
        alert = Alert("firing", LABELS, {}, now, None, fingerprint, "")
        guard = AlertmanagerGuard(url)
        assert guard.still_firing(alert)

        ours = guard.silence(alert, 60, "sre run 1: quarantine")
        assert ours and _state(url)["status"]["silencedBy"] == [ours]
        assert guard.still_firing(alert)  # the restore after the quarantine goes ahead

        person = {
            "matchers": [{"name": "alertname", "value": LABELS["alertname"], "isRegex": False}],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=1)).isoformat(),
            "createdBy": "alice",
            "comment": "looking at it by hand",
        }
        theirs = _call(f"{url}/api/v2/silences", person, "POST")["silenceID"]
        deadline = time.monotonic() + 10
        while len(_state(url)["status"]["silencedBy"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not guard.still_firing(alert)  # a person said hands off
        guard.expire(ours)
        assert not guard.still_firing(alert)
        guard.expire(theirs)
        deadline = time.monotonic() + 10
        while _state(url)["status"]["state"] != "active" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert guard.still_firing(alert)
