"""A timeline of one incident: named moments, printed with wall-clock times and durations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["Timeline"]


@dataclass
class Timeline:
    """Moments, printed in time order; durations count from the earliest (`origin`)."""

    title: str
    events: list[tuple[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, label: str, at: float) -> None:
        self.events.append((label, at))

    def at(self, label: str) -> float | None:
        return next((t for name, t in self.events if name == label), None)

    @property
    def origin(self) -> float:
        return min((t for _, t in self.events), default=0.0)

    def since_origin(self, label: str) -> float | None:
        when = self.at(label)
        return None if when is None else when - self.origin

    def between(self, start: str, end: str) -> float | None:
        a, b = self.at(start), self.at(end)
        return None if a is None or b is None else b - a

    def render(self) -> str:
        lines = [self.title]
        origin = previous = self.origin
        for label, at in sorted(self.events, key=lambda e: e[1]):
            clock = datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S.%f")[:-3]
            lines.append(f"  {clock}  +{at - origin:6.2f} s  (+{at - previous:5.2f})  {label}")
            previous = at
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)
