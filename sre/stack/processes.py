"""Child processes of the stack: started in their own session, logged to a file, stopped by PID.

Each component starts as the leader of a new session, so its process group id is its PID:
stopping the group also ends what it started (`sre serve` runs the pipeline as a child).
Before a signal is sent, the PID's command line is compared with what was started, so a PID the
kernel has since given to another program is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sre.stack.errors import StackError

STOP_TIMEOUT = 10.0

__all__ = ["alive", "free_port", "get", "log_tail", "start", "stop", "wait_until"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(
    argv: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `argv` (no shell) in a new session, stdout and stderr appended to `log`."""
    with log.open("ab") as out:
        try:
            return subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            name = Path(argv[0]).name
            raise StackError(f"cannot start {argv[0]}: {exc}", component=name) from exc


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int, program: str) -> bool:
    """Whether `pid` runs and is still the `program` the stack started (not a zombie)."""
    cmdline = _cmdline(pid)
    if not cmdline:  # gone, or a zombie (its cmdline is empty)
        return False
    return any(Path(part).name == Path(program).name for part in cmdline[:3])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(pid: int, program: str, *, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM the process group led by `pid`, SIGKILL it after `timeout`; reap it if it is our
    child. Returns False when `pid` was not (or no longer) `program`: nothing was signalled."""
    if not alive(pid, program):
        _reap(pid)
        return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap(pid)
            if not _group_alive(pid) or not alive(pid, program):
                break
            time.sleep(0.05)
        else:
            continue
        break
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    # Not our child when another command started it: its parent (or init) reaps it then.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> None:
    """Poll `check` every 0.1 s until it is true; fail early when `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(
                f"{what}: exited with {process.returncode}\n{log_tail(log)}", component=what
            )
        try:
            if check():
                return
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise StackError(f"{what}: not ready within {timeout:.0f} s\n{log_tail(log)}", component=what)


def log_tail(log: Path | None, lines: int = 15) -> str:
    if log is None or not log.is_file():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
