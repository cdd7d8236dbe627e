"""Configuration, read once at the edge (the CLI) and passed down as values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_LAKE = "./lake"
_AWS_PREFIXES = ("AWS_",)


@dataclass(frozen=True, slots=True)
class Settings:
    lake: str
    aws_env: Mapping[str, str] = field(default_factory=dict)
    pushgateway: str | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], *, lake: str | None = None, pushgateway: str | None = None
    ) -> Settings:
        """Flags win over the environment: `--lake`, then POTATO_LAKE, then ./lake;
        `--pushgateway`, then PUSHGATEWAY_URL."""
        chosen = lake or env.get("POTATO_LAKE") or DEFAULT_LAKE
        aws = {k: v for k, v in env.items() if k.startswith(_AWS_PREFIXES)}
        gateway = pushgateway or env.get("PUSHGATEWAY_URL") or None
        return cls(lake=chosen, aws_env=aws, pushgateway=gateway)

    @property
    def is_default_lake(self) -> bool:
        return self.lake == DEFAULT_LAKE
