"""Generators: pure functions from a service spec (and hand-written runbook content) to the
artefacts' data. Files, YAML and JSON are the CLI's business (`sre/cli/generate.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sre.generate.alertmanager import (
    NOTES,
    alertmanager_fragment,
    alertmanager_standalone,
    fragment_file,
    standalone_file,
)
from sre.generate.dashboards import grafana_dashboards
from sre.generate.prometheus_operator import (
    prometheus_rule,
    prometheus_rule_file,
    service_monitor,
    service_monitor_file,
)
from sre.generate.rule_tests import rule_tests
from sre.generate.rules import prometheus_rules
from sre.generate.runbooks import runbook_site
from sre.spec.service import Service

__all__ = ["MANAGED_DIRS", "NOTES", "artefacts"]

# Folders `sre generate` writes into. A file there that carries the generated header of the same
# service and that generation no longer produces is stale (removed by `sre generate`, reported
# by `--check`); any other file is left alone.
MANAGED_DIRS = ("alerts", "dashboards", "k8s", "runbooks/site", "ops")


def artefacts(service: Service, env_name: str, content: Mapping[str, str]) -> dict[str, Any]:
    """Relative path -> dict (YAML/JSON documents) or str (Markdown) for `env_name`.

    `content` maps hand-written runbook files (relative to `runbooks/`) to their text."""
    env = service.environment(env_name)
    resolved = service.resolved(env)
    rules = prometheus_rules(resolved, env)
    out: dict[str, Any] = dict(rules)
    out.update(rule_tests(resolved, env, list(rules)))
    out[prometheus_rule_file(resolved)] = prometheus_rule(resolved, env, rules)
    if resolved.remediation:
        out[service_monitor_file(resolved)] = service_monitor(resolved, env)
    out[fragment_file(resolved)] = alertmanager_fragment(resolved, env)
    if env.alertmanager_standalone:
        out[standalone_file(resolved)] = alertmanager_standalone(resolved, env)
    out.update(grafana_dashboards(resolved, env))
    out.update(runbook_site(resolved, env, content))
    return dict(sorted(out.items()))
