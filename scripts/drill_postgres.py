"""A PostgreSQL cluster of the drill's own, so the drill can take its state database away.

The machine's PostgreSQL (127.0.0.1:5432) is shared with everything else; stopping it would be
an outage for all of them. The drill instead creates a throwaway cluster (`initdb` into its
folder, a free port on loopback, trust auth), and stops and starts it to inject the
database-outage fault. Its binaries are the installed server's (`/usr/lib/postgresql/N/bin`,
the newest N). Run as root, the server runs as the `postgres` user, as it must.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sre.errors import SreError

__all__ = ["Cluster", "cluster", "server_bin"]


def server_bin() -> Path | None:
    """The newest installed PostgreSQL server's bin folder, or None."""
    root = Path("/usr/lib/postgresql")
    found = sorted(
        (p for p in root.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One PostgreSQL server in `folder`: `start`, `stop` (fast: sessions are cut off, as in a
    crash of the database host) and its URL."""

    def __init__(self, folder: Path, bin_dir: Path) -> None:
        self.folder, self.bin = folder, bin_dir
        self.data = folder / "data"
        self.port = _free_port()
        self.running = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, check=False, timeout=60
        )
        if done.returncode != 0:
            raise SreError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout).strip()}")

    def create(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        log = str(self.folder / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log,
                  "-w", "start")  # fmt: skip
        self.running = True

    def stop(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop"
        )
        self.running = False

    def outage(self, seconds: float) -> None:
        """The database unreachable for `seconds`, then back with everything it had."""
        self.stop()
        try:
            time.sleep(seconds)
        finally:
            self.start()


@contextmanager
def cluster(logs: Path) -> Iterator[Cluster]:
    """A fresh, started cluster, stopped and deleted after (kept with `SRE_DRILL_KEEP_DB=1`, to
    read its audit after a failed row); its server log is copied into `logs`.

    It lives in a folder of its own under the system's temporary folder: run as root, the
    server runs as `postgres`, which cannot enter a folder like pytest's (mode 0700, root's)."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise SreError("no PostgreSQL server is installed (/usr/lib/postgresql/N/bin/initdb)")
    folder = Path(tempfile.mkdtemp(prefix="sre-drill-pg-"))
    own = Cluster(folder, bin_dir)
    own.create()
    own.start()
    try:
        yield own
    finally:
        if own.running:
            own.stop()
        logs.mkdir(parents=True, exist_ok=True)
        if (folder / "server.log").exists():
            shutil.copy(folder / "server.log", logs / "postgres.log")
        if os.environ.get("SRE_DRILL_KEEP_DB"):
            print(f"kept the state database's cluster in {folder} (pg_ctl -D {own.data} start)")
        else:
            shutil.rmtree(folder, ignore_errors=True)
