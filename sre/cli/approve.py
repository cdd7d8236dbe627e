"""`sre runs approve|reject RUN`: a human's decision, sent to `sre serve`'s approvals API.

The server checks the approver's token (the approver's name comes from it), claims the run and
carries it out with its own spec, state and credentials: the approver needs this command, the
server's URL and their token, nothing else (no spec, no store, no lake credentials).
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from sre.cli.common import fail
from sre.exitcodes import ExitCode

__all__ = ["DEFAULT_TOKEN_FILE", "approve", "reject"]

DEFAULT_TOKEN_FILE = "~/.config/sre/approver-token"
_TIMEOUT = 10.0


def _token(path: str) -> str:
    file = Path(path).expanduser()
    try:
        lines = [line.strip() for line in file.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the approver token {file}: {exc}", ExitCode.USAGE)
    if not lines:
        fail(f"the approver token file {file} is empty", ExitCode.USAGE)
    return lines[0]


@dataclass(frozen=True, slots=True)
class Tls:
    """How to trust the server (a private CA) and, for mTLS, who this client is."""

    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    def context(self) -> ssl.SSLContext | None:
        if not (self.ca_file or self.client_cert):
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context


def _call(server: str, method: str, path: str, token: str, tls: Tls) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{server.rstrip('/')}{path}",
        method=method,
        data=b"" if method == "POST" else None,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        context = tls.context()
        with urllib.request.urlopen(request, timeout=_TIMEOUT, context=context) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            doc = json.loads(exc.read() or b"{}")
        except ValueError:
            doc = {}
        return exc.code, doc if isinstance(doc, dict) else {}
    except (urllib.error.URLError, OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        fail(f"cannot reach {server}: {exc}", ExitCode.UNAVAILABLE)


def _answer(code: int, doc: dict[str, Any], run: int) -> dict[str, Any]:
    reason = str(doc.get("error") or doc.get("detail") or f"HTTP {code}")
    if code in (401, 403):
        fail(f"the server refused the token: {reason}", ExitCode.USAGE)
    if code == 404:
        fail(reason, ExitCode.USAGE)
    if code == 409:
        fail(reason, ExitCode.FAILED)
    if code >= 300:
        fail(f"run {run}: the server answered {code}: {reason}", ExitCode.UNAVAILABLE)
    return doc


def server_options(func: Any) -> Any:
    func = click.option(
        "--client-key",
        envvar="SRE_CLIENT_KEY",
        type=click.Path(exists=True, dir_okay=False),
        help="Its key, unless in the certificate file ($SRE_CLIENT_KEY).",
    )(func)
    func = click.option(
        "--client-cert",
        envvar="SRE_CLIENT_CERT",
        type=click.Path(exists=True, dir_okay=False),
        help="A client certificate, for a server that requires mTLS ($SRE_CLIENT_CERT).",
    )(func)
    func = click.option(
        "--ca-file",
        envvar="SRE_CA_FILE",
        type=click.Path(exists=True, dir_okay=False),
        help="CA bundle for an HTTPS server with a private CA ($SRE_CA_FILE).",
    )(func)
    func = click.option(
        "--token-file",
        envvar="SRE_APPROVER_TOKEN_FILE",
        default=DEFAULT_TOKEN_FILE,
        show_default=True,
        help="Your approver token: the server names you after it ($SRE_APPROVER_TOKEN_FILE).",
    )(func)
    return click.option(
        "--server",
        envvar="SRE_SERVER",
        required=True,
        metavar="URL",
        help="The `sre serve` that holds the run ($SRE_SERVER).",
    )(func)


@click.command("approve")
@click.argument("run_id", type=int)
@server_options
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="Wait for the run to finish and exit with its result.",
)
@click.option("--timeout", default=3600.0, show_default=True, help="Seconds to wait (--wait).")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def approve(
    run_id: int,
    server: str,
    token_file: str,
    ca_file: str | None,
    client_cert: str | None,
    client_key: str | None,
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Approve RUN (a run waiting for approval); the server carries it out.

    Exit 0 once it succeeded (or, with --no-wait, once it started), 1 when it failed or was
    not waiting any more (approved or rejected by someone else, or expired)."""
    token, tls = _token(token_file), Tls(ca_file, client_cert, client_key)
    doc = _answer(*_call(server, "POST", f"/api/v1/runs/{run_id}/approve", token, tls), run_id)
    run = doc["run"]
    if not as_json:
        click.echo(doc["detail"])
    deadline = time.monotonic() + timeout
    while wait and run["state"] != "done":
        if time.monotonic() > deadline:
            fail(f"run {run_id} still running after {timeout:g} s", ExitCode.FAILED)
        time.sleep(0.5)
        run = _answer(*_call(server, "GET", f"/api/v1/runs/{run_id}", token, tls), run_id)
    if as_json:
        click.echo(json.dumps(run, indent=2))
    elif wait:
        click.echo(f"run {run_id} {run['action']} {run['target']}: {run['outcome']}")
    if wait and run["outcome"] != "success":
        raise SystemExit(ExitCode.FAILED)


@click.command("reject")
@click.argument("run_id", type=int)
@server_options
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
def reject(
    run_id: int,
    server: str,
    token_file: str,
    ca_file: str | None,
    client_cert: str | None,
    client_key: str | None,
    as_json: bool,
) -> None:
    """Reject RUN: it ends without acting (audited with your name)."""
    token, tls = _token(token_file), Tls(ca_file, client_cert, client_key)
    doc = _answer(*_call(server, "POST", f"/api/v1/runs/{run_id}/reject", token, tls), run_id)
    click.echo(json.dumps(doc["run"], indent=2) if as_json else doc["detail"])
