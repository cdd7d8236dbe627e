"""restart-connector: restart a Kafka Connect connector and its failed tasks.

Implements `sre.remediation.action.Action` through `BaseAction`; registered by the
`sre.actions` entry point `restart-connector` in this package's pyproject.toml.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sre.errors import RemediationError, SpecError
from sre.remediation import targets
from sre.remediation.action import (
    BaseAction,
    Deps,
    Outcome,
    Param,
    Params,
    Plan,
    Step,
    Verification,
)
from sre.remediation.payload import Alert

__all__ = ["RestartConnector"]

NAME = "restart-connector"


def _call(url: str, method: str, token_file: str, timeout: float) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    if token_file:
        headers["Authorization"] = "Bearer " + Path(token_file).read_text().strip()
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


class RestartConnector(BaseAction):
    name = NAME
    summary = "restart a Kafka Connect connector and its failed tasks, then wait for RUNNING"
    target_label = "connector"
    params = (
        Param("url", "str", "the Connect REST API, e.g. http://connect:8083"),
        Param("label", "str", "the alert label naming the connector", "connector"),
        Param("token_file", "str", "a file holding a bearer token", ""),
        Param("wait", "float", "seconds to wait for RUNNING after the restart", 30.0),
    )

    def check_params(self, params: Params, owner: str) -> None:
        if not params["url"].startswith(("http://", "https://")):
            raise SpecError("must be an http(s) URL", owner=owner, field="params.url")

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        # The one validator of this action's targets, at admission and at execution alike.
        return targets.name(labels.get(params["label"], ""), action=NAME, what="connector")

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        targets.name(target, action=NAME, what="connector")
        url = f"{params['url'].rstrip('/')}/connectors/{target}/restart"
        return Plan(
            NAME,
            target,
            (Step("request", src=f"POST {url}"),),
            (f"restart connector {target} and its failed tasks",),
        )

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        name = targets.name(plan.target, action=NAME, what="connector")
        url = f"{params['url'].rstrip('/')}/connectors/{name}/restart"
        try:
            status, _ = _call(
                f"{url}?includeTasks=true&onlyFailed=true", "POST", params["token_file"], 10.0
            )
        except (urllib.error.URLError, OSError) as exc:
            raise RemediationError(f"Connect unreachable: {exc}", action=NAME, target=name) from exc
        step = Step("request", src=f"POST {url}", detail={"status": str(status)})
        ok = status in (200, 202, 204)
        return Outcome(
            ok, (step,), None, f"Connect answered {status}", evidence={"status": str(status)}
        )

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        if not outcome.ok:
            return Verification(False, outcome.detail)
        url = f"{params['url'].rstrip('/')}/connectors/{plan.target}/status"
        deadline = time.monotonic() + float(params["wait"])
        state = "unknown"
        while True:
            try:
                status, doc = _call(url, "GET", params["token_file"], 5.0)
                state = str((doc or {}).get("connector", {}).get("state", status))
            except (urllib.error.URLError, OSError) as exc:
                state = f"unreachable ({exc})"
            if state == "RUNNING" or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        return Verification(state == "RUNNING", f"connector {plan.target} is {state}")
