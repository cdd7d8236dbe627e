"""A small service spec, independent of the pipeline, for golden and lint tests."""

from __future__ import annotations

from sre.spec import (
    SLO,
    Alert,
    BurnRate,
    Case,
    Contact,
    Dashboard,
    Environment,
    EscalationStep,
    Panel,
    Priority,
    PriorityLevel,
    Procedure,
    RemediationPolicy,
    Section,
    Service,
    Threshold,
)


def _page(meaning: str, extra: str = "") -> str:
    return f"## Meaning\n\n{meaning}\n\n## Impact\n\nLate.\n\n{extra}## Mitigation\n\nFix.\n"


CONTENT = {
    "alerts/JobStale.md": _page("No run."),
    "alerts/JobFailing.md": _page("Runs fail.", "## Diagnosis\n\nRead the logs.\n\n"),
    "alerts/JobSlow.md": _page("Slow."),
    "alerts/JobBroken.md": _page("Broken."),
    "procedures/upkeep.md": "## Weekly\n\nLook at things.\n",
}

SLOS = (
    SLO(
        "fresh",
        "Freshness",
        "freshness",
        "job_last_success_timestamp",
        objective=1,
        critical=3,
        unit=3600,
    ),
    SLO("ok", "Success", "success_ratio", "job_runs_total", objective=0.99, window=30 * 86400),
    SLO("fast", "Latency", "latency", "job_duration_seconds", objective=10, warning=20, window=300),
)
ALERTS = (
    Alert(
        "JobStale",
        Priority.P1,
        "Stale (> {threshold})",
        "Older than {threshold}.",
        "freshness",
        Threshold("fresh", "objective"),
        for_=300,
        panel="Freshness",
    ),
    Alert(
        "JobFailing",
        Priority.P0,
        "Burning",
        "Over {long} and {short}.",
        "failures",
        BurnRate("ok", "page-fast"),
        for_=120,
        command="job status",
        panel="Runs",
    ),
    Alert(
        "JobSlow",
        Priority.P2,
        "Slow (> {threshold})",
        "p95 above {threshold}.",
        "failures",
        Threshold("fast", "warning"),
        for_=600,
        command="job profile",
        panel="Runs",
    ),
    Alert(
        "JobBroken",
        Priority.P0,
        "Broken",
        "Integrity check failed.",
        "failures",
        "job_integrity_ok == 0",
        command="job verify",
        panel="Runs",
        cases=(
            Case("broken", {"job_integrity_ok": "1 0x5"}, at=240, fires=({},)),
            Case("fine", {"job_integrity_ok": "1x5"}, at=240),
        ),
    ),
)

SERVICE = Service(
    name="job",
    title="Job",
    job="job",
    metrics=(
        "job_last_success_timestamp",
        "job_runs_total",
        "job_integrity_ok",
        "job_duration_seconds_bucket",
        "job_duration_seconds_sum",
        "job_duration_seconds_count",
    ),
    slos=SLOS,
    alerts=ALERTS,
    sections=(Section("Freshness", "Late data."), Section("Failures", "Failing runs.")),
    procedures=(Procedure("upkeep", "Upkeep"),),
    dashboards=(
        Dashboard(
            "main",
            "Job",
            "The job.",
            panels=(
                Panel(
                    "Freshness",
                    "stat",
                    "Age of the last success.",
                    slo="fresh",
                    section="freshness",
                    width=8,
                ),
                Panel(
                    "Runs",
                    "timeseries",
                    "Runs by status.",
                    queries=("sum by (status) (rate(job_runs_total[$__rate_interval]))",),
                    legends=("{{status}}",),
                    unit="ops",
                    section="failures",
                    width=16,
                ),
                Panel(
                    "Logs",
                    "logs",
                    "Error logs.",
                    queries=('{job="job"} |= "error"',),
                    unit="none",
                    width=24,
                ),
            ),
        ),
    ),
    priorities=tuple(PriorityLevel(p, p.value, "soon", ("things",)) for p in Priority),
    escalation=(
        EscalationStep("L1", "On call", "0-30 min"),
        EscalationStep("L2", "Boss", "later", p0_only=True),
    ),
    contacts=(Contact("System Owner", "owner@example.org"),),
    environments=(
        Environment(
            "prod",
            "https://git.example.org/job/blob/main/",
            "https://docs.example.org/job/",
            "https://grafana.example.org",
            "http://remediator:9095/webhook",
            "/etc/am/token",
        ),
        Environment(
            "demo",
            "http://127.0.0.1:8000/",
            "http://127.0.0.1:8000/",
            "http://127.0.0.1:3000",
            "http://127.0.0.1:9095/webhook",
            "secrets/token",
            site_style=True,
            time_scale=1 / 60,
            slo_overrides={"fresh": {"objective": 20, "critical": 60, "unit": 1}},
        ),
    ),
    remediation=(
        RemediationPolicy(
            "JobStale", "command", mode="auto", params={"argv": ["job", "run"], "target": "job"}
        ),
    ),
    labels={"pipeline": "job"},
)
