"""http: one request to a URL from the spec; success is a status code the policy lists.

The URL, headers and body come from the policy; `{placeholders}` in the URL (URL-quoted) and
the body are filled only from validated labels. A bearer token is read from `token_file` when
the request is made (never from the spec, never logged). The response status and the first
500 characters of its body are kept with the run. Redirects are not followed.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sre.errors import RemediationError, SpecError
from sre.remediation import bindings
from sre.remediation.action import BaseAction, Deps, Outcome, Param, Params, Plan, Step

ACTION = "http"
EXCERPT = 500
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

__all__ = ["ACTION", "Http"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _quoted(bound: Mapping[str, str]) -> dict[str, str]:
    return {k: urllib.parse.quote(v, safe="") for k, v in bound.items()}


class Http(BaseAction):
    name = ACTION
    summary = "send one HTTP request from the spec; success by status code"
    params = (
        Param("url", "str", "http(s) URL; ${label} placeholders are URL-quoted"),
        Param("method", "str", "GET, POST, PUT, PATCH or DELETE", "POST"),
        Param("headers", "map", "request headers", {}),
        Param("body", "str", "request body; ${label} placeholders allowed", ""),
        Param("labels", "list", "alert labels the placeholders may use (validated names)", ()),
        Param("target", "str", "the target's name when no label is used (cooldown key)", ""),
        Param("token_file", "str", "a file holding a bearer token, read at each request", ""),
        Param("success", "list", "status codes that mean it worked", ("200", "201", "202", "204")),
        Param("timeout", "float", "seconds to wait for the answer", 30.0),
    )

    def check_params(self, params: Params, owner: str) -> None:
        scheme = urllib.parse.urlsplit(params["url"]).scheme
        if scheme not in ("http", "https"):
            raise SpecError("must be an http or https URL", owner=owner, field="params.url")
        if params["method"] not in METHODS:
            raise SpecError(f"must be one of {METHODS}", owner=owner, field="params.method")
        if not all(code.isdigit() and len(code) == 3 for code in params["success"]):
            raise SpecError("must be 3-digit status codes", owner=owner, field="params.success")
        templates = (params["url"], params["body"])
        bindings.check_templates(templates, params["labels"], owner, "params")
        if not params["labels"] and not params["target"]:
            raise SpecError("give a target name (or labels)", owner=owner, field="params.target")

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        bound = bindings.bind(labels, params["labels"], action=ACTION)
        return bindings.encode(bound, params["target"], action=ACTION)

    def request(self, target: str, params: Params) -> tuple[str, str]:
        """The URL and body this target sends (pure)."""
        bound = bindings.decode(target, params["labels"], action=ACTION)
        return bindings.render(params["url"], _quoted(bound)), bindings.render(
            params["body"], bound
        )

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        url, body = self.request(target, params)
        step = Step(
            "request",
            src=f"{params['method']} {url}",
            size=len(body.encode()),
            detail={"success": ",".join(params["success"])},
        )
        return Plan(ACTION, target, (step,), (f"{params['method']} {url}",))

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        url, body = self.request(plan.target, params)
        headers = dict(params["headers"])
        if params["token_file"]:
            try:
                secret = Path(params["token_file"]).read_text().strip()
            except OSError as exc:
                raise RemediationError(
                    f"cannot read the token file: {exc.strerror}", action=ACTION, target=plan.target
                ) from exc
            headers["Authorization"] = f"Bearer {secret}"
        data = body.encode() if body else None
        request = urllib.request.Request(url, data=data, method=params["method"], headers=headers)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=float(params["timeout"])) as answer:
                status, text = answer.status, answer.read(EXCERPT * 4)
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read(EXCERPT * 4)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Outcome(False, detail=f"{params['method']} {url}: {reason}")
        excerpt = text.decode("utf-8", "replace")[:EXCERPT]
        step = Step("request", src=f"{params['method']} {url}", detail={"status": str(status)})
        evidence = {"status": str(status), "body": excerpt}
        ok = str(status) in params["success"]
        detail = f"{params['method']} {url} answered {status}"
        return Outcome(
            ok, (step,), None, detail if ok else f"{detail}: {excerpt[:200]}", evidence=evidence
        )
