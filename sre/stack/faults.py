"""Faults for drills on a running stack: kill, pause and restart its components by name.

Each works on the PIDs the stack recorded (`stack.json`) and keeps that record true: a
component restarted here gets its new PID recorded, so `sre stack down` still stops it. A
restart uses the argv and environment the process was started with (read from /proc before it
is killed), the same log file and the same folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sre.stack import processes
from sre.stack.errors import StackError
from sre.stack.stack import Running, recorded, save

__all__ = ["Killed", "kill", "pause", "restart", "resume"]

_RECORD = threading.Lock()


@dataclass(frozen=True, slots=True)
class Killed:
    """What `restart` needs of a component `kill` stopped."""

    name: str
    argv: list[str]
    env: dict[str, str]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (part.decode(errors="replace").partition("=") for part in raw.split(b"\0") if part)
    return {key: value for key, _, value in pairs}


def kill(stack: Running, name: str, sig: signal.Signals = signal.SIGKILL) -> Killed:
    """Signal the component and reap it. SIGKILL goes to its whole process group (a crash:
    no shutdown of any kind); any other signal to the process alone, as a kubelet's SIGTERM
    reaches a container's main process: sent to the group, it could also hit a child in the
    instant between its fork and its own `setsid`, which a real graceful stop never does."""
    pid = stack.pids[name]
    argv = processes._cmdline(pid)
    if not argv or not processes.alive(pid, stack.programs[name]):
        raise StackError(f"{name} (pid {pid}) is not running", component=name)
    env = _environ(pid)
    if sig == signal.SIGKILL:
        os.killpg(pid, sig)
    else:
        os.kill(pid, sig)
    deadline = time.monotonic() + 10
    while processes.alive(pid, stack.programs[name]) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    return Killed(name, argv, env)


def restart(stack: Running, killed: Killed, ready: str | None = None) -> Running:
    """Start a killed component again; waits for `ready` (a URL) when given."""
    folder = Path(stack.folder)
    log = folder / "logs" / f"{killed.name}.log"
    with _RECORD:  # faults run on several threads: re-read, so no restart's PID is lost
        child = processes.start(killed.argv, log, env=killed.env, cwd=folder)
        record = recorded(Running.load(folder) or stack, killed.name, child.pid, killed.argv[0])
        save(folder, record)
    if ready:
        processes.wait_until(
            lambda: processes.get(ready) is not None,
            timeout=60,
            what=killed.name,
            process=child,
            log=log,
        )
    return record


def pause(stack: Running, name: str) -> None:
    """SIGSTOP: the process stays, answers nothing, gossips nothing (a network split)."""
    os.killpg(stack.pids[name], signal.SIGSTOP)


def resume(stack: Running, name: str) -> None:
    os.killpg(stack.pids[name], signal.SIGCONT)
