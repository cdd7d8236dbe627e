"""promtool unit tests, one file per alert: cases where it fires and where it stays silent.

Alerts on an SLO get cases synthesized at their boundaries (`sre.generate.cases`); literal
expressions bring their own (`Alert.cases`).
"""

from __future__ import annotations

from typing import Any

from sre.generate.cases import synthesized_cases
from sre.generate.expressions import alert_annotations, alert_labels
from sre.spec.alert import Alert, Case
from sre.spec.environment import Environment
from sre.spec.service import Service
from sre.spec.units import prom_duration

__all__ = ["rule_tests", "synthesized_cases", "test_file"]


def test_file(service: Service, alert: Alert) -> str:
    return f"alerts/tests/{service.name}/{alert.name}.test.yml"


def _test_group(alert: Alert, case: Case, service: Service, env: Environment) -> dict[str, Any]:
    expected = [
        {
            "exp_labels": {**alert_labels(alert, service), **fired},
            "exp_annotations": dict(alert_annotations(alert, service, env)),
        }
        for fired in case.fires
    ]
    return {
        "name": case.name,
        "interval": prom_duration(case.interval),
        "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
        "alert_rule_test": [
            {"eval_time": prom_duration(case.at), "alertname": alert.name, "exp_alerts": expected}
        ],
    }


def rule_tests(
    service: Service, env: Environment, rule_files: list[str]
) -> dict[str, dict[str, Any]]:
    """Test file path -> promtool test document; `rule_files` are the generated rule paths."""
    files = [f"../../{path.removeprefix('alerts/')}" for path in sorted(rule_files)]
    out: dict[str, dict[str, Any]] = {}
    for alert in service.alerts:
        cases = synthesized_cases(alert, service, env)
        out[test_file(service, alert)] = {
            "rule_files": files,
            "evaluation_interval": prom_duration(min(c.interval for c in cases)),
            "tests": [_test_group(alert, case, service, env) for case in cases],
        }
    return out
