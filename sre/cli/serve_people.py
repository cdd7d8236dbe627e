"""What `sre serve` needs to reach people: approver tokens from a folder, and the notifier
that posts notices to Alertmanager."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sre.cli.common import fail
from sre.exitcodes import ExitCode
from sre.remediation.auth import Approvers
from sre.remediation.notices import NOTICES, NoticeContext, notices
from sre.remediation.notifier import Notifier, post_alerts
from sre.remediation.state import StateStore
from sre.spec.service import Service

__all__ = ["NOTICE_WINDOW", "approvers_from", "notifier_for"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
NOTICE_WINDOW = 24 * 3600.0  # a failed or expired run stays noticed this long at most


def approvers_from(folder: Path | None, webhook_secrets: tuple[bytes, ...]) -> Approvers:
    """One file per approver: its name is the approver's name, its first line the token."""
    if folder is None:
        return Approvers()
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        fail(f"cannot read --approvers-dir {folder}: {exc.strerror}", ExitCode.USAGE)
    found: list[tuple[str, bytes]] = []
    for path in files:
        if not _NAME.fullmatch(path.name):
            fail(f"{path}: an approver's file is named after them ([A-Za-z0-9._@-])")
        try:
            lines = [line.strip() for line in path.read_bytes().splitlines() if line.strip()]
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE)
        if not lines or len(lines[0]) < 16:
            fail(f"{path}: the token must be at least 16 characters", ExitCode.USAGE)
        found.append((path.name, lines[0]))
    tokens = [t for _, t in found]
    if len(set(tokens)) != len(tokens) or set(tokens) & set(webhook_secrets):
        fail("every approver needs their own token, distinct from the webhook's", ExitCode.USAGE)
    if not found:
        fail(f"--approvers-dir {folder} holds no approver token file", ExitCode.USAGE)
    return Approvers(tuple(found))


def notifier_for(
    service: Service,
    env_name: str,
    store: StateStore,
    alertmanagers: tuple[str, ...],
    server_url: str,
    interval: float,
) -> Notifier | None:
    """A notifier posting to every Alertmanager given (HA peers deduplicate), or None."""
    if not alertmanagers:
        return None
    env = service.environment(env_name)
    ctx = NoticeContext(
        service=service.name,
        labels=dict(service.labels),
        server_url=server_url,
        runbook_urls={
            name: env.page_url(service.site_page(f"notices/{name}.md")) for name in NOTICES.values()
        },
    )

    def build(now: float) -> list[Any]:
        return notices(ctx, store.noticeable(now - NOTICE_WINDOW), store.circuits())

    def post(alerts: list[dict[str, Any]]) -> None:
        errors: list[str] = []
        for url in alertmanagers:
            try:
                post_alerts(url, alerts)
            except (OSError, ValueError) as exc:
                errors.append(f"{url}: {exc}")
        if len(errors) == len(alertmanagers):
            raise OSError("; ".join(errors))

    return Notifier(build, post, f"{server_url.rstrip('/')}/openapi.json", interval)
