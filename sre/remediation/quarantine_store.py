"""The quarantine store's layout: copies at `<incident>/<original key>` and, beside them, the
undo record `<incident>/_undo.json` that lets a quarantine be reversed from the store alone."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from sre.errors import ObjectNotFound, RemediationError, SreError
from sre.remediation.transfer import check_incident
from sre.storage import ObjectStore

__all__ = ["UNDO_NAME", "load_undo", "save", "save_quietly", "undo_key"]

UNDO_NAME = "_undo.json"
log = logging.getLogger(__name__)


def undo_key(incident: str) -> str:
    return f"{incident}/{UNDO_NAME}"


def load_undo(store: ObjectStore, incident: str) -> dict[str, Any] | None:
    """The undo record saved in the quarantine store for `incident`, or None."""
    check_incident(incident, action="quarantine")
    try:
        record: dict[str, Any] = json.loads(store.read_bytes(undo_key(incident)))
    except ObjectNotFound:
        return None
    except ValueError as exc:
        raise RemediationError(
            f"malformed undo record: {exc}", action="quarantine", target=incident
        ) from exc
    return record


def save(store: ObjectStore, record: Mapping[str, Any]) -> None:
    data = json.dumps(record, indent=2, sort_keys=True).encode()
    store.write_bytes(undo_key(str(record["incident"])), data)


def save_quietly(store: ObjectStore, record: Mapping[str, Any]) -> None:
    # The store may be the thing that failed; the Outcome still carries the record.
    try:
        save(store, record)
    except SreError as exc:
        log.warning("could not save the undo record in %s: %s", store.url, exc)
