"""A real Alertmanager delivering to a real `sre serve`, both on free loopback ports, both
stopped by their PIDs when the block ends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.support.components import require
from tests.support.prometheus import _running, free_port

SRE = str(Path(sys.executable).parent / "sre")


@contextmanager
def alertmanager_into_serve(
    tmp_path: Path, *, spec: str, env: Mapping[str, str], group_by: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """Start `sre serve --service SPEC` and an Alertmanager whose only receiver is its webhook
    (bearer token, send_resolved); yield (Alertmanager URL, state URL)."""
    from tests.sre.remediation.test_replicas import wait_ready

    binary, amtool = shutil.which("prometheus-alertmanager"), shutil.which("amtool")
    require(
        "Alertmanager", bool(binary and amtool), "prometheus-alertmanager and amtool (make setup)"
    )
    assert binary is not None
    token = tmp_path / "token"
    token.write_text("am-token\n")
    state = f"sqlite:///{tmp_path / 'state.db'}"
    sre_port, am_port = free_port(), free_port()
    webhook = {
        "url": f"http://127.0.0.1:{sre_port}/alertmanager",
        "send_resolved": True,
        "http_config": {"authorization": {"type": "Bearer", "credentials_file": str(token)}},
    }
    config = tmp_path / "alertmanager.yml"
    route = {"receiver": "sre", "group_by": list(group_by), "group_wait": "1s",
             "group_interval": "1s", "repeat_interval": "1h"}  # fmt: skip
    config.write_text(  # JSON is YAML
        json.dumps({"route": route, "receivers": [{"name": "sre", "webhook_configs": [webhook]}]})
    )
    argv = [SRE, "serve", "--port", str(sre_port), "--state", state, "--token-file", str(token),
            "--service", spec]  # fmt: skip
    serve = subprocess.Popen(argv, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(sre_port, serve)
        am_url = f"http://127.0.0.1:{am_port}"
        am_argv = [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
            f"--web.external-url={am_url}",
        ]
        with _running(am_argv, f"{am_url}/-/ready", "alertmanager", tmp_path):
            yield am_url, state
    finally:
        serve.terminate()
        serve.wait(timeout=30)
