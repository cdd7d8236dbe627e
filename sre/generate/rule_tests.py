"""promtool unit tests, one file per alert: cases where it fires and where it stays silent.

Alerts on an SLO get synthesized cases; literal expressions bring their own (`Alert.cases`).
promtool 2.42 starts every test at t=0 (`time()` is 0 and there is no `start_time`), so a
freshness case writes the last-success timestamp relative to 0: `0` is "last success at start".
"""

from __future__ import annotations

from typing import Any

from sre.errors import GenerateError
from sre.generate.expressions import alert_annotations, alert_labels
from sre.spec.alert import Alert, BurnRate, Case
from sre.spec.environment import Environment
from sre.spec.service import Service
from sre.spec.slo import SLO
from sre.spec.units import number, prom_duration

__all__ = ["rule_tests", "synthesized_cases", "test_file"]


def test_file(alert: Alert) -> str:
    return f"alerts/tests/{alert.name}.test.yml"


def _samples(at: int, interval: int) -> int:
    return at // interval + 2


def synthesized_cases(alert: Alert, service: Service, env: Environment) -> tuple[Case, ...]:
    """Cases for an alert on an SLO, from the resolved thresholds and windows."""
    expr = alert.expr
    if isinstance(expr, str):
        return alert.cases
    slo = service.slo(expr.slo)
    job = {"job": service.job}
    if isinstance(expr, BurnRate):
        return _burn_cases(expr, slo, alert, env, job)
    interval = env.scaled(60)
    if slo.kind == "freshness":
        limit = int(slo.threshold(expr.level) * slo.unit)
        at = limit + alert.for_ + 2 * interval
        n = _samples(at, interval)
        series = f'{slo.metric}{{job="{service.job}"}}'
        return (
            Case(
                f"fires once the last success is older than {limit}s",
                {series: f"0x{n}"},
                at,
                (job,),
                interval,
            ),
            Case(
                "silent while the last success is recent",
                {series: f"{at - limit // 2}x{n}"},
                at,
                (),
                interval,
            ),
        )
    window = expr.window or slo.window
    at = window + alert.for_ + 2 * interval
    n = _samples(at, interval)
    if slo.kind == "success_ratio" and expr.level == "budget":
        sel = f'{slo.metric}{{job="{service.job}",task="ingest",{slo.status_label}="%s"}}'
        labels = {**job, "task": "ingest", slo.status_label: slo.bad}
        return (
            Case(
                "fires while tasks fail",
                {sel % slo.bad: f"0+1x{n}", sel % slo.good: f"0+1x{n}"},
                at,
                (labels,),
                interval,
            ),
            Case(
                "silent when no task fails",
                {sel % slo.bad: f"0x{n}", sel % slo.good: f"0+1x{n}"},
                at,
                (),
                interval,
            ),
        )
    if slo.kind == "latency":
        value = slo.threshold(expr.level)
        sel = f'{slo.metric}_bucket{{job="{service.job}",task="transform",le="%s"}}'
        les = (number(value / 2), number(value), number(value * 2), "+Inf")
        slow = dict(zip(les, (f"0x{n}", f"0x{n}", f"0+1x{n}", f"0+1x{n}"), strict=True))
        fast = dict.fromkeys(les, f"0+1x{n}")
        labels = {**job, "task": "transform"}
        return (
            Case(
                f"fires when tasks take {number(value * 2)}s",
                {sel % k: v for k, v in slow.items()},
                at,
                (labels,),
                interval,
            ),
            Case(
                f"silent when tasks take {number(value / 2)}s",
                {sel % k: v for k, v in fast.items()},
                at,
                (),
                interval,
            ),
        )
    raise GenerateError(
        f"{alert.name}: no synthesized cases for {slo.kind}/{expr.level}", path=slo.name
    )


def _burn_cases(
    expr: BurnRate, slo: SLO, alert: Alert, env: Environment, job: dict[str, str]
) -> tuple[Case, ...]:
    interval = max(env.scaled(60), expr.short // 10)
    at = expr.long + alert.for_ + 2 * interval
    n = _samples(at, interval)
    sel = f'{slo.metric}{{job="{job["job"]}",task="ingest",{slo.status_label}="%s"}}'
    return (
        Case(
            "fires when 90% of tasks fail in both windows",
            {sel % slo.bad: f"0+9x{n}", sel % slo.good: f"0+1x{n}"},
            at,
            (job,),
            interval,
        ),
        Case(
            "silent while the pipeline is idle (no 0/0 page)",
            {sel % slo.bad: f"3x{n}", sel % slo.good: f"40x{n}"},
            at,
            (),
            interval,
        ),
        Case(
            "silent when 1% of tasks fail",
            {sel % slo.bad: f"0+1x{n}", sel % slo.good: f"0+99x{n}"},
            at,
            (),
            interval,
        ),
    )


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
    files = [f"../{path.removeprefix('alerts/')}" for path in sorted(rule_files)]
    out: dict[str, dict[str, Any]] = {}
    for alert in service.alerts:
        cases = synthesized_cases(alert, service, env)
        out[test_file(alert)] = {
            "rule_files": files,
            "evaluation_interval": prom_duration(min(c.interval for c in cases)),
            "tests": [_test_group(alert, case, service, env) for case in cases],
        }
    return out
