"""Watch the watcher: alerts and a dashboard panel for the remediation service itself."""

from __future__ import annotations

from sre.remediation import conventions as c
from sre.spec.alert import Alert, Case, Priority
from sre.spec.dashboard import Panel

__all__ = ["GROUP", "SECTION_TITLE", "remediator_alerts", "remediator_panel"]

GROUP = "sre-remediator"
SECTION_TITLE = "Remediation Service"
_SECTION = "remediation-service"
_UP = f'{c.UP}{{job="{c.JOB}"}}'

FAILED_RESTORES = f'{c.REMEDIATIONS_TOTAL}{{action="restore",outcome="{c.FAILURE}"}}'


def remediator_alerts() -> tuple[Alert, ...]:
    """Down, circuit open, actions failing, kill switch left on."""
    failed = f'{c.REMEDIATIONS_TOTAL}{{{c.OUTCOME}=~"{c.FAILURE}|{c.TIMED_OUT}"}}'
    done = f'{c.REMEDIATIONS_TOTAL}{{{c.OUTCOME}=~"{c.SUCCESS}|{c.FAILURE}|{c.TIMED_OUT}"}}'
    return (
        Alert(
            name="RemediatorDown",
            command=f"kubectl rollout restart deployment/{c.JOB}",
            priority=Priority.P1,
            summary="The remediation service is down or not scraped",
            description="Nothing remediates alerts automatically; every incident needs a human.",
            section=_SECTION,
            expr=f"{_UP} == 0 or absent({_UP})",
            for_=300,
            group=GROUP,
            panel="Remediation Activity",
            cases=(
                Case("down", {_UP: "0x30"}, at=600, fires=({"job": c.JOB},)),
                Case("absent", {'up{job="other"}': "1x30"}, at=600, fires=({"job": c.JOB},)),
                Case("up", {_UP: "1x30"}, at=600),
            ),
        ),
        Alert(
            name="RemediationCircuitOpen",
            command="sre circuit reset ACTION TARGET",
            priority=Priority.P1,
            summary="Remediation gave up on a target: its circuit is open",
            description="The daily attempt budget for this action and target is spent; "
            "the automation stops and a human takes over.",
            section=_SECTION,
            expr=f"max by ({c.ACTION}, {c.TARGET}) ({c.CIRCUIT_OPEN}) == 1",
            for_=0,
            group=GROUP,
            panel="Remediation Activity",
            cases=(
                Case(
                    "open",
                    {f'{c.CIRCUIT_OPEN}{{action="command",target="potato"}}': "0 1x10"},
                    at=300,
                    fires=({"action": "command", "target": "potato"},),
                ),
                Case(
                    "closed",
                    {f'{c.CIRCUIT_OPEN}{{action="command",target="potato"}}': "0x10"},
                    at=300,
                ),
            ),
        ),
        Alert(
            name="RemediationActionsFailing",
            command=f"sre runs list --outcome {c.FAILURE}",
            priority=Priority.P2,
            summary="More than a quarter of remediation actions fail",
            description="Automated actions run but fail or time out; check the audit log.",
            section=_SECTION,
            expr=f"sum by ({c.ACTION}) (rate({failed}[1h])) "
            f"/ (sum by ({c.ACTION}) (rate({done}[1h])) > 0) > 0.25",
            for_=900,
            group=GROUP,
            panel="Remediation Activity",
            cases=(
                Case(
                    "failing",
                    {
                        FAILED_RESTORES: "0+1x90",
                        f'{c.REMEDIATIONS_TOTAL}{{action="restore",outcome="success"}}': "0+1x90",
                    },
                    at=5400,
                    fires=({"action": "restore"},),
                ),
                Case(
                    "timing out",
                    {
                        f'{c.REMEDIATIONS_TOTAL}{{action="command",outcome="{c.TIMED_OUT}"}}': (
                            "0+1x90"
                        ),
                        f'{c.REMEDIATIONS_TOTAL}{{action="command",outcome="success"}}': "0+1x90",
                    },
                    at=5400,
                    fires=({"action": "command"},),
                ),
                Case(
                    "idle",
                    {
                        FAILED_RESTORES: "3x90",
                        f'{c.REMEDIATIONS_TOTAL}{{action="restore",outcome="success"}}': "9x90",
                    },
                    at=5400,
                ),
            ),
        ),
        Alert(
            name="RemediationKillSwitchOn",
            command="sre resume ACTION",
            priority=Priority.P3,
            summary="Automated remediation is paused by its kill switch",
            description="Someone paused an action; resume it once the reason is gone.",
            section=_SECTION,
            expr=f"max by ({c.ACTION}) ({c.KILL_SWITCH}) == 1",
            for_=3600,
            group=GROUP,
            panel="Remediation Activity",
            cases=(
                Case(
                    "paused",
                    {f'{c.KILL_SWITCH}{{action="quarantine"}}': "1x90"},
                    at=5000,
                    fires=({"action": "quarantine"},),
                ),
                Case("running", {f'{c.KILL_SWITCH}{{action="quarantine"}}': "0x90"}, at=5000),
            ),
        ),
    )


def remediator_panel(section: str = _SECTION) -> Panel:
    """Actions by outcome, open circuits, kill switches and webhook answers, on one panel."""
    return Panel(
        title="Remediation Activity",
        kind="timeseries",
        description="Automated remediations per minute by action and outcome, open circuits, "
        "kill switches, runs waiting for approval and webhook requests by HTTP code.",
        queries=(
            f"sum by ({c.ACTION}, {c.OUTCOME}) (rate({c.REMEDIATIONS_TOTAL}[5m])) * 60",
            f"sum by ({c.ACTION}) ({c.CIRCUIT_OPEN})",
            f"max by ({c.ACTION}) ({c.KILL_SWITCH})",
            f"max({c.APPROVALS_PENDING})",
            f"sum by ({c.CODE}) (rate({c.WEBHOOK_REQUESTS}[5m])) * 60",
        ),
        legends=(
            "{{action}} {{outcome}}",
            "open circuits {{action}}",
            "kill switch {{action}}",
            "waiting for approval",
            "webhook {{code}}",
        ),
        unit="short",
        section=section,
        width=24,
    )
