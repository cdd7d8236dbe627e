"""The OpenAPI 3.0 document of `sre serve`, served at /openapi.json and checked by schemathesis."""

from __future__ import annotations

from typing import Any

__all__ = ["document"]

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}
_STATUS = {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}}
_LABEL = {"type": "string", "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}
_TEXT = {"type": "string", "pattern": "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"}
_NAMES = {"propertyNames": _LABEL}
_STRINGS = {"type": "object", "additionalProperties": _LABEL, **_NAMES}
_ANNOTATIONS = {"type": "object", "additionalProperties": _TEXT, **_NAMES}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339"}
_ALERT = {
    "type": "object",
    "required": ["status", "labels", "startsAt", "fingerprint"],
    "properties": {
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "labels": {
            **_STRINGS,
            "required": ["alertname"],
            "properties": {"alertname": {**_LABEL, "minLength": 1}},
        },
        "annotations": _ANNOTATIONS,
        "startsAt": _TIME,
        "endsAt": _TIME,
        "generatorURL": {"description": "Kept, never read (checks come from the spec)."},
        "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{1,64}$"},
    },
}
_PAYLOAD = {
    "type": "object",
    "required": ["version", "status", "receiver", "groupKey", "alerts"],
    "properties": {
        "version": {"type": "string", "enum": ["4"]},
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "receiver": _TEXT,
        "groupKey": _TEXT,
        "truncatedAlerts": {"type": "integer", "minimum": 0},
        "groupLabels": _STRINGS,
        "commonLabels": {"description": "Not read: each alert carries its labels."},
        "commonAnnotations": {"description": "Not read."},
        "externalURL": {"description": "Kept when a string."},
        "alerts": {"type": "array", "items": _ALERT},
    },
}


_RUN = {
    "type": "object",
    "required": ["id", "service", "action", "target", "alertname", "state"],
    "properties": {
        "id": {"type": "integer"},
        "service": {"type": "string"},
        "action": {"type": "string"},
        "target": {"type": "string"},
        "alertname": {"type": "string"},
        "fingerprint": {"type": "string"},
        "episode": {"type": "integer"},
        "mode": {"type": "string"},
        "state": {"type": "string", "enum": ["pending", "running", "done"]},
        "outcome": {"type": ["string", "null"]},
        "approved_by": {"type": ["string", "null"]},
        "attempt": {"type": "integer"},
        "started_at": {"type": "number", "description": "unix seconds"},
        "finished_at": {"type": ["number", "null"]},
        "plan": {"type": ["object", "null"]},
        "result": {"type": ["object", "null"]},
    },
}
_DECIDED = {
    "type": "object",
    "required": ["detail", "run"],
    "properties": {"detail": {"type": "string"}, "run": _RUN},
}
_RUN_ID = {
    "name": "run",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document(max_body: int) -> dict[str, Any]:
    """The document; `max_body` is stated so senders know the one size limit."""

    def error(text: str) -> dict[str, Any]:
        return _json(_ERROR, text)

    return {
        "openapi": "3.1.0",
        "info": {"title": "sre serve", "version": "1"},
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
                "approver": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An approver's token (sre serve --approvers-dir).",
                },
            }
        },
        "paths": {
            "/alertmanager": {
                "post": {
                    "summary": "An Alertmanager webhook delivery (payload version 4).",
                    "description": f"Stored, then acted on. Bodies over {max_body} bytes get 413.",
                    "security": [{"bearer": []}, {"basic": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _PAYLOAD}},
                    },
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "required": ["delivery", "alerts"],
                                "properties": {
                                    "delivery": {"type": "integer"},
                                    "alerts": {"type": "integer"},
                                },
                            },
                            "Stored; the worker decides per alert.",
                        ),
                        "400": error("Malformed JSON, wrong version or a missing field."),
                        "401": error("No credentials."),
                        "403": error("Wrong credentials."),
                        "408": error("The body did not arrive in time."),
                        "411": error("No Content-Length."),
                        "413": error("Body over the cap."),
                        "415": error("Not application/json."),
                        "503": error("State store failed or server saturated: retry."),
                    },
                }
            },
            "/api/v1/runs/{run}": {
                "get": {
                    "summary": "One run of the served service, for an approver.",
                    "security": [{"approver": []}],
                    "parameters": [_RUN_ID],
                    "responses": {
                        "200": _json(_RUN, "The run."),
                        "401": error("No credentials."),
                        "403": error("Not an approver's token (or no approvers configured)."),
                        "404": error("No such run of this service."),
                        "503": error("State store failed: retry."),
                    },
                }
            },
            **{
                f"/api/v1/runs/{{run}}/{verb}": {
                    "post": {
                        "summary": summary,
                        "description": "The approver's name comes from their token. A run "
                        "is decided once: a second approval, or one after a rejection or "
                        "the expiry, gets 409.",
                        "security": [{"approver": []}],
                        "parameters": [_RUN_ID],
                        "responses": {
                            code: _json(_DECIDED, done),
                            "401": error("No credentials."),
                            "403": error("Not an approver's token (or no approvers configured)."),
                            "404": error("No such run of this service."),
                            "409": error("Not waiting for approval (decided or expired)."),
                            "503": error("State store failed: retry."),
                        },
                    }
                }
                for verb, code, summary, done in (
                    (
                        "approve",
                        "202",
                        "Approve a run waiting for approval; the server carries it out.",
                        "Approved and started (poll GET /api/v1/runs/{run}).",
                    ),
                    ("reject", "200", "Reject a run waiting for approval.", "Rejected."),
                )
            },
            "/healthz": {
                "get": {"summary": "Liveness.", "responses": {"200": _json(_STATUS, "Alive.")}}
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: the state store answers and the worker is moving.",
                    "responses": {
                        "200": _json(_STATUS, "Ready."),
                        "503": _json(_STATUS, "Store down, or worker dead or stuck."),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics.",
                    "responses": {
                        "200": {
                            "description": "Exposition format.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
        },
    }
