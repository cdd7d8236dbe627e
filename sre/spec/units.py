"""How numbers and durations are written in PromQL, YAML and prose, the same everywhere."""

from __future__ import annotations

__all__ = ["human_duration", "number", "percent", "prom_duration"]

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
