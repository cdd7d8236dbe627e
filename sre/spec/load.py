"""Load a service spec by import path (`package.module:ATTR`), so `sre` never imports it."""

from __future__ import annotations

import importlib

from sre.errors import GenerateError
from sre.spec.service import Service

__all__ = ["DEFAULT_SERVICE", "load_service"]

DEFAULT_SERVICE = "pipeline.service:SERVICE"


def load_service(path: str) -> Service:
    """Import `module:attr` and return the `Service` it names."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise GenerateError("expected MODULE:ATTR, e.g. pipeline.service:SERVICE", path=path)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise GenerateError(f"cannot import {module_name!r}: {exc}", path=path) from exc
    service = getattr(module, attr, None)
    if not isinstance(service, Service):
        raise GenerateError(f"{attr!r} is not an sre Service", path=path)
    return service
