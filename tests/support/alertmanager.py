"""A real Alertmanager delivering to a real `sre serve`, both on free loopback ports, both
stopped by their PIDs when the block ends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.components import require
from tests.support.prometheus import _running, free_port

SRE = str(Path(sys.executable).parent / "sre")


@dataclass(frozen=True, slots=True)
class Stack:
    am_url: str
    state: str
    sre_url: str
    token: Path  # the webhook's bearer token (Alertmanager's credentials_file)


@contextmanager
def serve_and_alertmanager(
    tmp_path: Path,
    *,
    spec: str,
    env: Mapping[str, str],
    config: Callable[[str, Path], dict[str, Any]],
    serve_args: Sequence[str] = (),
) -> Iterator[Stack]:
    """Start `sre serve --service SPEC [serve_args]` and an Alertmanager whose config is
    `config(webhook URL, token file)`; "{am_url}" in `serve_args` becomes its URL."""
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
    sre_url, am_url = f"http://127.0.0.1:{sre_port}", f"http://127.0.0.1:{am_port}"
    file = tmp_path / "alertmanager.yml"
    file.write_text(json.dumps(config(f"{sre_url}/alertmanager", token)))  # JSON is YAML
    argv = [SRE, "serve", "--port", str(sre_port), "--state", state, "--token-file", str(token),
            "--service", spec, *(a.replace("{am_url}", am_url) for a in serve_args)]  # fmt: skip
    serve = subprocess.Popen(argv, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(sre_port, serve)
        am_argv = [
            binary,
            f"--config.file={file}",
            f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=",
            f"--web.external-url={am_url}",
        ]
        with _running(am_argv, f"{am_url}/-/ready", "alertmanager", tmp_path):
            yield Stack(am_url, state, sre_url, token)
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def webhook_only(group_by: Sequence[str]) -> Callable[[str, Path], dict[str, Any]]:
    """An Alertmanager config whose only receiver is the webhook (bearer token, send_resolved,
    1 s group timings)."""

    def config(url: str, token: Path) -> dict[str, Any]:
        webhook = {
            "url": url,
            "send_resolved": True,
            "http_config": {"authorization": {"type": "Bearer", "credentials_file": str(token)}},
        }
        route = {"receiver": "sre", "group_by": list(group_by), "group_wait": "1s",
                 "group_interval": "1s", "repeat_interval": "1h"}  # fmt: skip
        return {"route": route, "receivers": [{"name": "sre", "webhook_configs": [webhook]}]}

    return config


@contextmanager
def alertmanager_into_serve(
    tmp_path: Path, *, spec: str, env: Mapping[str, str], group_by: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """Start `sre serve --service SPEC` and an Alertmanager whose only receiver is its webhook;
    yield (Alertmanager URL, state URL)."""
    config = webhook_only(group_by)
    with serve_and_alertmanager(tmp_path, spec=spec, env=env, config=config) as stack:
        yield stack.am_url, stack.state
