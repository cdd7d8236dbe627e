"""The committed potato alerts against hand-made series, under promtool: what pages, what
opens a ticket and what stays quiet, in the situations the runbook's readers live through.

The series are written here by hand, not by the generator, so a mistake in the generator's
own cases cannot hide a wrong rule. A few scenarios also run the source runbook's expressions
(or a rule with its guard removed) to show that the scenario tells right from wrong.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = [REPO / "alerts" / "potato-pipeline.rules.yml"]
JOB = "potato-pipeline"
TASKS = "potato_pipeline_tasks_total"
GAUGE = "potato_pipeline_last_successful_run_timestamp"
PAGES = ("PipelineErrorBudgetBurnFast", "PipelineErrorBudgetBurnMedium")
TASK_ALERTS = ("PipelineFailureRate", *PAGES, "PipelineErrorBudgetBurnSlow")
MINUTE, HOUR = 60, 3600
BUSY = 72 / 60  # tasks a minute: six tasks a run, a run every five minutes


def _tasks(status: str) -> str:
    return f'{TASKS}{{job="{JOB}",task="validate",status="{status}"}}'


def _counter(per_minute: Iterable[float]) -> str:
    """A counter sampled every minute from its increments: promtool's `a+bxn` segments."""
    total, parts = 0.0, ["0"]
    for step in per_minute:
        total += step
        parts.append(f"{total:g}")
    return " ".join(parts)


def _steady(per_minute: float, minutes: int) -> list[float]:
    return [per_minute] * minutes


def _failing(share: float, minutes: int) -> dict[str, str]:
    """A busy pipeline whose tasks fail at a steady `share` for `minutes`."""
    return {
        _tasks("success"): _counter(_steady(BUSY * (1 - share), minutes)),
        _tasks("failure"): _counter(_steady(BUSY * share, minutes)),
    }


def _silent(names: Iterable[str], times: Iterable[int]) -> list[dict[str, Any]]:
    return [
        {"eval_time": f"{t}s", "alertname": name, "exp_alerts": []} for t in times for name in names
    ]


def _rules() -> dict[str, dict[str, Any]]:
    return {
        r["alert"]: r
        for path in RULES
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }


def _fires(name: str, at: int, **labels: str) -> dict[str, Any]:
    """`name` is firing at `at` with its rule's labels plus `labels` from the series."""
    rule = _rules()[name]
    expected = {"exp_labels": {**rule["labels"], **labels}, "exp_annotations": rule["annotations"]}
    return {"eval_time": f"{at}s", "alertname": name, "exp_alerts": [expected]}


def _promtool(
    promtool: str,
    tmp_path: Path,
    series: dict[str, str],
    checks: list[dict[str, Any]],
    rules: list[Path] = RULES,
) -> subprocess.CompletedProcess[str]:
    doc = {
        "rule_files": [str(r) for r in rules],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": s, "values": v} for s, v in series.items()],
                "alert_rule_test": checks,
            }
        ],
    }
    path = tmp_path / "scenario.test.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )


def _passes(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def _source_rules(tmp_path: Path) -> list[Path]:
    """The rule files with PipelineFailureRate written as the source runbook writes it."""
    text = RULES[0].read_text()
    ours = next(
        r
        for g in yaml.safe_load(text)["groups"]
        for r in g["rules"]
        if r.get("alert") == "PipelineFailureRate"
    )["expr"]
    source = f'rate({TASKS}{{status="failure"}}[1h]) / rate({TASKS}[1h]) > 0.05'
    path = tmp_path / "source.rules.yml"
    path.write_text(text.replace(ours, source))
    return [path]


def test_one_failed_task_in_a_hundred_over_two_hours_fires_nothing(
    promtool: str, tmp_path: Path
) -> None:
    minutes = 2 * 60
    failure = [0.0] * minutes
    failure[60] = 1.0  # the one failure, an hour in
    series = {
        _tasks("success"): _counter(_steady(99 / minutes, minutes)),
        _tasks("failure"): _counter(failure),
    }
    checks = _silent(TASK_ALERTS, range(10 * MINUTE, minutes * MINUTE + 1, 5 * MINUTE))
    _passes(_promtool(promtool, tmp_path, series, checks))
    # The source's series-by-series ratio reads 1 here and pages "failure rate > 5%".
    source = _promtool(promtool, tmp_path, series, checks, _source_rules(tmp_path))
    assert source.returncode == 1
    assert "PipelineFailureRate" in source.stdout + source.stderr


def test_six_percent_failures_for_two_hours_fire_the_failure_rate_alert(
    promtool: str, tmp_path: Path
) -> None:
    minutes = 2 * 60
    series = _failing(0.06, minutes)
    checks = [
        _fires("PipelineFailureRate", minutes * MINUTE, job=JOB),
        *_silent(PAGES, range(10 * MINUTE, minutes * MINUTE + 1, 10 * MINUTE)),
    ]
    _passes(_promtool(promtool, tmp_path, series, checks))


def test_a_steady_four_percent_failure_ratio_for_a_day_fires_nothing(
    promtool: str, tmp_path: Path
) -> None:
    minutes = 25 * 60
    series = _failing(0.04, minutes)
    checks = _silent(TASK_ALERTS, range(HOUR, minutes * MINUTE + 1, HOUR))
    _passes(_promtool(promtool, tmp_path, series, checks))


def test_every_task_failing_after_a_clean_day_pages_within_thirty_minutes(
    promtool: str, tmp_path: Path
) -> None:
    clean, outage = 24 * 60, 40
    series = {
        _tasks("success"): _counter(_steady(BUSY, clean) + [0.0] * outage),
        _tasks("failure"): _counter([0.0] * clean + _steady(BUSY, outage)),
    }
    start = clean * MINUTE
    checks = [
        *_silent(TASK_ALERTS, range(HOUR, start + 1, HOUR)),
        _fires("PipelineErrorBudgetBurnFast", start + 30 * MINUTE, job=JOB),
    ]
    _passes(_promtool(promtool, tmp_path, series, checks))
    assert _rules()["PipelineErrorBudgetBurnFast"]["labels"]["severity"] == "critical"


def test_a_quiet_batch_job_with_one_failure_in_a_day_pages_nobody(
    promtool: str, tmp_path: Path
) -> None:
    # Four tasks an hour, scraped every minute: the counters step every 15 minutes.
    minutes = 24 * 60
    success, failure = [0.0] * minutes, [0.0] * minutes
    for minute in range(0, minutes, 15):
        (failure if minute == 12 * 60 else success)[minute] = 1.0
    series = {_tasks("success"): _counter(success), _tasks("failure"): _counter(failure)}
    checks = _silent(PAGES, range(11 * HOUR, 15 * HOUR, MINUTE))
    _passes(_promtool(promtool, tmp_path, series, checks))
    # The low-traffic guard's own effect (every event failing in a quiet window stays silent,
    # and fires with the guard removed) is in the generated cases, checked by mutation in
    # tests/sre/generate/test_rule_tests.py.


def test_a_deleted_freshness_gauge_fires_stale_data_after_its_threshold(
    promtool: str, tmp_path: Path
) -> None:
    # The pipeline succeeds every minute for an hour, then its gauge is deleted.
    alive = " ".join(str(m * MINUTE) for m in range(61))
    up = " ".join(["1"] * (4 * 60))  # Prometheus scraping its targets all along
    series = {f'{GAUGE}{{job="{JOB}"}}': f"{alive} stale", 'up{job="pushgateway"}': up}
    gone = 61 * MINUTE
    checks = [
        *_silent(["PipelineDataStale"], (gone + 2 * HOUR - MINUTE,)),
        _fires("PipelineDataStale", gone + 2 * HOUR + 5 * MINUTE + 2 * MINUTE),
    ]
    _passes(_promtool(promtool, tmp_path, series, checks))
