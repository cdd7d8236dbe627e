"""The remediator's own notices, as Alertmanager alerts (pure: state in, alerts out).

A notice is active while the state it tells about lasts: a run waiting for approval, a run that
failed (its action or its verification) or whose approval expired while its alert still fires,
an open circuit. Each carries the service's labels, so the service's generated Alertmanager
route takes it to the service's human receivers (Slack, PagerDuty, e-mail: whatever the spec
declares), and a `runbook_url` to its page. `Notifier` (notifier.py) posts them.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["NOTICES", "NOTICE_LABEL", "Notice", "NoticeContext", "notices"]

NOTICE_LABEL = "sre_notice"  # present on every notice: the generated route matches on it
# kind -> alertname; each has a runbook page (runbooks/notices/<alertname>.md)
NOTICES: Mapping[str, str] = {
    "awaiting_approval": "RemediationAwaitingApproval",
    "failed": "RemediationRunFailed",
    "approval_expired": "RemediationApprovalExpired",
    "circuit_open": "RemediationCircuitOpened",
}
_MAX_TEXT = 4000  # annotations stay readable in a chat message


@dataclass(frozen=True, slots=True)
class NoticeContext:
    """What every notice of one server shares: the service's routing labels, where the
    approvals API answers, and the runbook page of each notice (alertname -> URL)."""

    service: str
    labels: Mapping[str, str]
    server_url: str
    runbook_urls: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Notice:
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: float

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        """Alertmanager's identity of an alert: its label set."""
        return tuple(sorted(self.labels.items()))

    def alert(self, ends_at: float, generator_url: str) -> dict[str, Any]:
        """The alert as Alertmanager's API v2 takes it (`POST /api/v2/alerts`)."""
        return {
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "startsAt": _iso(self.starts_at),
            "endsAt": _iso(ends_at),
            "generatorURL": generator_url,
        }


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _labels(ctx: NoticeContext, kind: str, severity: str, **extra: str) -> dict[str, str]:
    return {
        **ctx.labels,
        "alertname": NOTICES[kind],
        NOTICE_LABEL: kind,
        "severity": severity,
        "sre_service": ctx.service,
        **extra,
    }


def _annotations(ctx: NoticeContext, kind: str, **text: str) -> dict[str, str]:
    url = ctx.runbook_urls.get(NOTICES[kind])
    return {k: _clip(v) for k, v in text.items()} | ({"runbook_url": url} if url else {})


def approve_command(ctx: NoticeContext, run: int) -> str:
    """What an approver types (their token: --token-file, $SRE_APPROVER_TOKEN_FILE or the
    default file; see `sre runs approve --help`)."""
    return f"sre runs approve {run} --server {shlex.quote(ctx.server_url)}"


def _run_notice(ctx: NoticeContext, run: Mapping[str, Any]) -> Notice:
    alert_labels = (run.get("alert") or {}).get("labels") or {}
    severity = str(alert_labels.get("severity") or "warning")
    what = f"{run['action']} {run['target']}"
    steps = "\n".join((run.get("plan") or {}).get("steps") or []) or "(no steps recorded)"
    base = {"run": str(run["id"]), "action": run["action"], "target": run["target"]}
    cause = f"alert {run['alertname']} ({run['fingerprint']})"
    if run["state"] == "pending":
        kind = "awaiting_approval"
        command = approve_command(ctx, run["id"])
        return Notice(
            _labels(ctx, kind, severity, **base),
            _annotations(
                ctx,
                kind,
                summary=f"Run {run['id']} waits for approval: {what}",
                description=f"{cause} asks for {what}. It will:\n{steps}\n"
                f"Approve: {command}\nReject: sre runs reject {run['id']} --server "
                f"{shlex.quote(ctx.server_url)}",
                approve_command=command,
                plan=steps,
            ),
            float(run["started_at"]),
        )
    result = run.get("result") or {}
    if run["outcome"] == "approval_expired":
        kind, summary = "approval_expired", f"Run {run['id']} expired unapproved: {what}"
        detail = f"{cause} asked for {what}; nobody approved it in time, so nothing was done."
    else:
        kind, summary = "failed", f"Run {run['id']} {run['outcome']}: {what}"
        why = result.get("verification") or result.get("reason") or result.get("detail")
        verified = "" if result.get("verified", True) else " (its verification failed)"
        detail = f"{cause}: {what} ended {run['outcome']}{verified}: {why or 'no detail'}"
    return Notice(
        _labels(ctx, kind, severity, **base),
        _annotations(
            ctx,
            kind,
            summary=summary,
            description=f"{detail}\nDetails: sre runs show {run['id']}",
        ),
        float(run["finished_at"] or run["started_at"]),
    )


def notices(
    ctx: NoticeContext,
    runs: Iterable[Mapping[str, Any]],
    circuits: Iterable[Mapping[str, Any]],
) -> list[Notice]:
    """The active notices, from `StateStore.noticeable()` and `StateStore.circuits()`."""
    found = [_run_notice(ctx, run) for run in runs]
    for circuit in circuits:
        kind = "circuit_open"
        found.append(
            Notice(
                _labels(ctx, kind, "critical", action=circuit["action"], target=circuit["target"]),
                _annotations(
                    ctx,
                    kind,
                    summary=f"Remediation gave up on {circuit['action']} {circuit['target']}",
                    description=f"{circuit['reason']}\nWhen fixed by hand: sre circuit reset "
                    f"{shlex.quote(circuit['action'])} {shlex.quote(circuit['target'])}",
                ),
                float(circuit["opened_at"]),
            )
        )
    return found
