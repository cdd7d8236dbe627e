"""Posting the remediator's notices to Alertmanager's API v2, on a thread of `sre serve`.

Every `interval` seconds (and when woken) the active notices are posted with `endsAt` a few
intervals ahead, so Alertmanager keeps them firing while they are re-posted and resolves them
by itself if this process dies; a notice that is no longer active is posted once more with
`endsAt` now, which resolves it at once. Replicas post the same notices from the same state:
Alertmanager deduplicates them by their labels.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from sre.remediation.notices import Notice

__all__ = ["Notifier", "post_alerts"]

log = logging.getLogger("sre.remediation")
TIMEOUT = 5.0


def post_alerts(url: str, alerts: Sequence[dict[str, Any]]) -> None:
    """`POST {url}/api/v2/alerts`; raises OSError (URLError included) when it fails."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/v2/alerts",
        data=json.dumps(list(alerts)).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        response.read()


class Notifier(threading.Thread):
    """`build(now)` returns the active notices; `post(alerts)` sends them (to each
    Alertmanager). A failed post is logged and tried again next turn."""

    def __init__(
        self,
        build: Callable[[float], list[Notice]],
        post: Callable[[list[dict[str, Any]]], None],
        generator_url: str,
        interval: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(name="sre-notifier", daemon=True)
        self.build, self.post, self.generator_url = build, post, generator_url
        self.interval, self.clock = interval, clock
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.active: dict[tuple[tuple[str, str], ...], Notice] = {}

    def turn(self) -> int:
        """Post once: the active notices, and the resolution of those that ended; returns how
        many alerts were posted."""
        now = self.clock()
        current = {n.key: n for n in self.build(now)}
        ends = now + 4 * self.interval
        alerts = [n.alert(ends, self.generator_url) for n in current.values()]
        alerts += [
            n.alert(now, self.generator_url) for k, n in self.active.items() if k not in current
        ]
        if alerts:
            self.post(alerts)
        self.active = current
        return len(alerts)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.turn()
            except (OSError, ValueError) as exc:  # Alertmanager down: keep state, retry
                log.warning("could not post notices to Alertmanager: %s", exc)
            except Exception:  # the state store went away: the next turn tries again
                log.exception("notice turn failed")
            self.wake.wait(self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
