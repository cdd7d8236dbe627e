"""The stack's Prometheus and Alertmanager configuration, as data (pure: no files, no network).

Alertmanager's config is the generated one (`sre generate --env demo`), changed only where the
local stack differs from a deployment:

- the remediation webhook points at this stack's `sre serve` and its token file;
- the human receivers (PagerDuty, Slack, e-mail) keep their names and routes but lose their
  integrations: nothing leaves the machine, and nobody is paged by a demo;
- the remediation route flushes every second (`group_interval`), as the demo's hours are
  seconds: with the generated minute, the resolved notice that closes an episode would come up
  to a minute after the alert cleared, and the next drill would join the old episode.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sre.generate.alertmanager import REMEDIATOR
from sre.stack.errors import StackError

__all__ = ["FAST_GROUP_INTERVAL", "alertmanager_config", "prometheus_config"]

FAST_GROUP_INTERVAL = "1s"
PUSHGATEWAY_JOB = "pushgateway"
REMEDIATOR_JOB = "sre-remediator"
REPLICA_LABEL = "replica"


def prometheus_config(
    *,
    pushgateway: str,
    remediators: Sequence[str],
    alertmanagers: Sequence[str],
    rule_files: Sequence[str],
    interval: str = "1s",
    replica: str | None = None,
) -> dict[str, Any]:
    """Scrape the Pushgateway (keeping the pushed `job`) and `sre serve`, evaluate the rules,
    send alerts to every Alertmanager. Addresses are host:port.

    `replica` (an HA pair) becomes the `replica` external label, which the alerts drop again
    (`alert_relabel_configs`): both replicas then send one alert with one fingerprint, and
    Alertmanager deduplicates them instead of notifying twice."""
    alerting: dict[str, Any] = {
        "alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]
    }
    doc: dict[str, Any] = {"global": {"scrape_interval": interval, "evaluation_interval": interval}}
    if replica is not None:
        doc["global"]["external_labels"] = {REPLICA_LABEL: replica}
        alerting["alert_relabel_configs"] = [{"action": "labeldrop", "regex": REPLICA_LABEL}]
    return {
        **doc,
        "rule_files": list(rule_files),
        "alerting": alerting,
        "scrape_configs": [
            {
                "job_name": PUSHGATEWAY_JOB,
                "honor_labels": True,
                "static_configs": [{"targets": [pushgateway]}],
            },
            {"job_name": REMEDIATOR_JOB, "static_configs": [{"targets": list(remediators)}]},
        ],
    }


def alertmanager_config(
    generated: Mapping[str, Any],
    *,
    webhook_url: str,
    token_file: str,
    group_interval: str | None = FAST_GROUP_INTERVAL,
) -> dict[str, Any]:
    """The generated config with the stack's webhook, silent human receivers and (unless
    `group_interval` is None) a fast remediation route."""
    config = copy.deepcopy(dict(generated))
    found = False
    for receiver in config.get("receivers", []):
        if receiver.get("name") == REMEDIATOR:
            hooks = receiver.get("webhook_configs") or []
            if not hooks:
                raise StackError(f"receiver {REMEDIATOR} has no webhook", component="alertmanager")
            for hook in hooks:
                hook["url"] = webhook_url
                hook.setdefault("http_config", {})["authorization"] = {
                    "type": "Bearer",
                    "credentials_file": token_file,
                }
            found = True
        else:
            for key in [k for k in receiver if k.endswith("_configs")]:
                del receiver[key]
    if not found:
        raise StackError(
            f"the Alertmanager config has no {REMEDIATOR} receiver: generate it from a spec "
            "with remediation policies",
            component="alertmanager",
        )
    if group_interval is not None:
        for route in config.get("route", {}).get("routes", []):
            if route.get("receiver") == REMEDIATOR:
                route["group_interval"] = group_interval
    return config
