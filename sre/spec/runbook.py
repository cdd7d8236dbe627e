"""The people side of the spec: runbook sections and procedures, priorities, escalation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.errors import SpecError
from sre.spec.alert import Priority

__all__ = ["Contact", "EscalationStep", "PriorityLevel", "Procedure", "Section", "slugify"]


def slugify(title: str) -> str:
    """The anchor GitHub and mkdocs both give a heading: `Data Freshness Issues` ->
    `data-freshness-issues`."""
    text = re.sub(r"[^\w\s-]", "", title.strip().lower())
    return re.sub(r"[\s]+", "-", text)


@dataclass(frozen=True, slots=True)
class Section:
    """A topic of the single-file runbook; alerts about the same symptom share one."""

    title: str
    intro: str

    @property
    def anchor(self) -> str:
        return slugify(self.title)


@dataclass(frozen=True, slots=True)
class Procedure:
    """A planned procedure (maintenance, backup validation, ...): hand-written content."""

    slug: str
    title: str

    def __post_init__(self) -> None:
        if slugify(self.title) != self.slug:
            raise SpecError(
                f"slug must be {slugify(self.title)!r}",
                owner=f"Procedure {self.title!r}",
                field="slug",
            )

    @property
    def page(self) -> str:
        return f"procedures/{self.slug}.md"


@dataclass(frozen=True, slots=True)
class PriorityLevel:
    priority: Priority
    name: str
    response: str
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EscalationStep:
    level: str
    who: str
    after: str
    p0_only: bool = False


@dataclass(frozen=True, slots=True)
class Contact:
    role: str
    address: str
