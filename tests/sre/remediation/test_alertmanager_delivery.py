"""A real Alertmanager delivers to `sre serve`; the run appears exactly once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.components import require
from tests.support.prometheus import _running, free_port

from .test_replicas import wait_ready

SRE = str(Path(sys.executable).parent / "sre")


@pytest.fixture
def alertmanager_to_sre(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    binary, amtool = shutil.which("prometheus-alertmanager"), shutil.which("amtool")
    require(
        "Alertmanager", bool(binary and amtool), "prometheus-alertmanager and amtool (make setup)"
    )
    assert binary is not None
    token = tmp_path / "token"
    token.write_text("am-token\n")
    state = f"sqlite:///{tmp_path / 'state.db'}"
    sre_port, am_port = free_port(), free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        json.dumps(
            {  # JSON is YAML
                "route": {
                    "receiver": "sre",
                    "group_by": ["alertname"],
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [
                    {
                        "name": "sre",
                        "webhook_configs": [
                            {
                                "url": f"http://127.0.0.1:{sre_port}/alertmanager",
                                "send_resolved": True,
                                "http_config": {
                                    "authorization": {
                                        "type": "Bearer",
                                        "credentials_file": str(token),
                                    }
                                },
                            }
                        ],
                    }
                ],
            }
        )
    )
    env = {
        **os.environ,
        "SRE_TEST_MARKER": str(tmp_path / "executions"),
        "PYTHONPATH": str(Path.cwd()),
    }
    serve = subprocess.Popen(
        [
            SRE,
            "serve",
            "--port",
            str(sre_port),
            "--state",
            state,
            "--token-file",
            str(token),
            "--service",
            "tests.sre.remediation.spec_fixture:SERVICE",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_ready(sre_port, serve)
        am_url = f"http://127.0.0.1:{am_port}"
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
            f"--web.external-url={am_url}",
        ]
        with _running(argv, f"{am_url}/-/ready", "alertmanager", tmp_path):
            yield am_url, state, tmp_path / "executions"
    finally:
        serve.terminate()
        serve.wait(timeout=30)


@pytest.mark.integration
def test_alertmanager_delivers_and_a_duplicate_is_absorbed(
    alertmanager_to_sre: tuple[str, str, Path],
) -> None:
    am_url, state, executions = alertmanager_to_sre
    add = [
        "amtool",
        f"--alertmanager.url={am_url}",
        "alert",
        "add",
        "PipelineDataStale",
        "pipeline=potato-pipeline",
        "severity=warning",
    ]
    subprocess.run(add, check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not executions.exists():
        time.sleep(0.2)
    subprocess.run(add, check=True, capture_output=True)  # the same alert again
    time.sleep(4)  # several group intervals: any duplicate delivery has arrived by now
    assert executions.read_text().count("\n") == 1
    runs = json.loads(
        subprocess.run(
            [SRE, "runs", "list", "--json", "--state", state],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert [(r["alertname"], r["target"], r["outcome"]) for r in runs] == [
        ("PipelineDataStale", "pipeline=potato-pipeline", "success")
    ]
