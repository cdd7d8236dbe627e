"""Python specs: a module attribute (`package.module:ATTR`) or a `.py` file (`path/spec.py`,
`path/spec.py:ATTR`). A spec that fails while it is built (a wrong type, a bad value) is one
line naming its file and line, never a traceback."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
import traceback
import types
from pathlib import Path
from typing import Any

from sre.errors import SpecError, SpecFileError
from sre.spec.formats.convert import Problems, build, field_hints
from sre.spec.service import Service
from sre.spec.units import DURATION

__all__ = ["load_python_spec"]

_SRE = str(Path(__file__).resolve().parents[2]) + "/"  # frames of the sre package itself


def _import_file(path: Path) -> types.ModuleType:
    name = f"_sre_spec_{path.stem}_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SpecFileError([f"{path}: cannot be imported as Python"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _field_problem(instance: Any) -> str | None:
    """The first field of a spec object whose value does not have its declared type."""
    cls: type = type(instance)
    for name, hint in field_hints(cls).items():
        quiet = Problems("")
        value = getattr(instance, name)
        if not (dataclasses.is_dataclass(value) or isinstance(value, tuple | dict)):
            build(hint, value, "", quiet, {})
        if DURATION in getattr(hint, "__metadata__", ()) and not isinstance(value, int):
            return f"{cls.__name__}.{name}: {value!r} is not a number of seconds (write 600)"
        if quiet.lines:
            return f"{cls.__name__}.{name}: {quiet.lines[0].removeprefix(': ')}"
    return None


def _where(exc: BaseException) -> tuple[str, str | None]:
    """(`file:line` of the spec's own frame, the typed-field problem if one explains it)."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [
        f
        for f in frames
        if not f.filename.startswith(_SRE) and "importlib" not in f.filename
        and not f.filename.startswith("<")
    ]
    place = f"{inside[-1].filename}:{inside[-1].lineno}" if inside else ""
    tb = exc.__traceback__
    problem = None
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "__post_init__":
            instance = tb.tb_frame.f_locals.get("self")
            if instance is not None and dataclasses.is_dataclass(instance):
                problem = _field_problem(instance) or problem
        tb = tb.tb_next
    return place, problem


def _guarded_import(label: str, do_import: Any) -> types.ModuleType:
    try:
        module: types.ModuleType = do_import()
        return module
    except SpecFileError:
        raise
    except ImportError as exc:
        raise SpecFileError([f"{label}: cannot import {label.partition(':')[0]!r}: {exc}"]) from exc
    except (SpecError, TypeError, ValueError, AttributeError, KeyError, NameError) as exc:
        # The spec's own code failed while building the spec: say where, in one line.
        place, problem = _where(exc)
        message = problem or f"{type(exc).__name__}: {exc}"
        raise SpecFileError([f"{place or label}: {message}"]) from exc


def load_python_spec(ref: str) -> Service:
    """The Service `ref` names (`module:ATTR`, `file.py` or `file.py:ATTR`)."""
    target, sep, attr = ref.partition(":")
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise SpecFileError([f"{target}: no such file"])
        module = _guarded_import(target, lambda: _import_file(path))
        if not sep:
            found = [n for n, v in vars(module).items() if isinstance(v, Service)]
            if len(found) != 1:
                raise SpecFileError(
                    [f"{target}: defines {len(found)} Service objects; name one: {target}:ATTR"]
                )
            attr = found[0]
    else:
        if not sep or not target or not attr:
            raise SpecFileError([f"{ref}: expected MODULE:ATTR, a .py file or a .yaml file"])
        module = _guarded_import(ref, lambda: importlib.import_module(target))
    service = getattr(module, attr, None)
    if not isinstance(service, Service):
        raise SpecFileError([f"{ref}: {attr!r} is not an sre Service"])
    return service
