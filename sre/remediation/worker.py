"""The threads behind `sre serve`: the worker that decides and the pool that acts.

The worker drains stored deliveries whenever woken (and every second, for other replicas'
work), and expires the approvals nobody gave in time. It beats a heartbeat on every turn so
`/readyz` can tell a dead or stuck worker from a busy one; a delivery that raises is isolated
by the engine (audited, counted, dead-lettered after its attempts), so nothing a sender posts
can stop the thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from sre.remediation.approvals import expire_due
from sre.remediation.engine import Job, RemediationEngine

__all__ = ["STUCK_AFTER", "ActionPool", "Worker"]

log = logging.getLogger("sre.serve")
STUCK_AFTER = 300.0  # seconds one turn of the worker may take before /readyz says "stuck"


class ActionPool:
    """`size` daemon threads that carry out runs, beside the worker that decides. Daemons: a
    stopping `sre serve` does not wait for a two-hour run; the run is found `running` on the
    next start and restarted (idempotent actions) or recorded failed."""

    def __init__(self, size: int) -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"sre-action-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # jobs record their own failures; the thread must live on
                log.exception("an action job crashed")

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def shutdown(self, wait: bool) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class Worker(threading.Thread):
    """Drains stored deliveries; `health()` says whether it is alive and moving."""

    def __init__(
        self,
        engine: RemediationEngine,
        stuck_after: float = STUCK_AFTER,
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(name="sre-worker", daemon=True)
        self.engine, self.changed = engine, changed
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.stuck_after = stuck_after
        self.beat = time.monotonic()

    def run(self) -> None:
        abandoned = False  # a failed turn left its claimed deliveries behind
        checked = 0.0  # when approvals were last checked for expiry
        while not self.stopping.is_set():
            self.beat = time.monotonic()
            self.wake.wait(1.0)
            self.wake.clear()
            try:
                if abandoned:  # take them back now, not when their lease ends
                    self.engine.store.release_claims()
                    abandoned = False
                done = self.engine.drain(stop=self.stopping)
                expired: list[int] = []
                if time.monotonic() - checked >= 1.0:  # not on every wake: once a second
                    checked, expired = time.monotonic(), expire_due(self.engine)
                if expired or done:
                    self.changed()  # e.g. a new run waits for approval: notice it now
            except Exception:  # the store went away mid-turn: log, wait, try again
                log.exception("worker turn failed; retrying in a second")
                abandoned = True
                self.stopping.wait(1.0)

    def health(self) -> str | None:
        """None when healthy, else why not ("worker thread is dead", "worker stuck ...")."""
        if not self.is_alive():
            return "worker thread is dead"
        idle = time.monotonic() - self.beat
        if idle > self.stuck_after:
            return f"worker stuck: no turn for {idle:.0f} s"
        return None

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
