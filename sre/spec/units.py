"""How numbers and durations are written in PromQL, YAML and prose, the same everywhere."""

from __future__ import annotations

import re
from typing import Annotated

__all__ = [
    "DURATION",
    "Seconds",
    "human_duration",
    "number",
    "parse_duration",
    "percent",
    "prom_duration",
]

# Marks an `int` spec field as a duration in seconds: spec files may write it "10m", "26h", "7d".
DURATION = "duration"
Seconds = Annotated[int, DURATION]

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_SIZES = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_WORDS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def prom_duration(seconds: int) -> str:
    """`7200` -> `2h`, `90` -> `90s`, `86400` -> `24h`, `259200` -> `3d`; zero is `0m`.

    Zero and one day are written as the runbook writes them (`for: 0m`, `[24h]`)."""
    if seconds < 0:
        raise ValueError(f"negative duration {seconds}")
    if seconds == 0:
        return "0m"
    for suffix, size in _UNITS:
        if suffix == "d" and seconds <= size:
            continue
        if seconds % size == 0:
            return f"{seconds // size}{suffix}"
    raise AssertionError("unreachable: 1 divides every integer")


def human_duration(seconds: float) -> str:
    """`7200` -> `2 hours`, `600` -> `10 minutes`, `20` -> `20 seconds`."""
    for word, size in _WORDS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {word}{'' if count == 1 else 's'}"
    return f"{number(seconds)} seconds"


def number(value: float) -> str:
    """A threshold as PromQL and people read it: `2`, `0.05`, `14.4`, never `0.0500000000001`."""
    return f"{value:g}"


def percent(fraction: float) -> str:
    """`0.05` -> `5%`."""
    return f"{fraction * 100:g}%"


def parse_duration(text: str) -> float:
    """`"26h"` -> 93600.0, `"1h30m"` -> 5400.0, `"500ms"` -> 0.5 (Prometheus' units plus
    decimals); ValueError when `text` is not a duration."""
    text = text.strip()
    parts = list(_PART.finditer(text))
    if not text or not parts or "".join(m.group(0) for m in parts) != text:
        raise ValueError(f"{text!r} is not a duration")
    return sum(float(m.group(1)) * _SIZES[m.group(2)] for m in parts)
