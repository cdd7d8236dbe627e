"""Alertmanager inhibitions derived from burn-rate tiers: while a faster tier of an SLO fires,
its slower tiers say nothing new, so they are muted for the same SLO and service."""

from __future__ import annotations

from typing import Any

from sre.generate.expressions import burn_tiers
from sre.spec.service import Service

__all__ = ["burn_tier_inhibitions"]


def burn_tier_inhibitions(service: Service) -> list[dict[str, Any]]:
    """One rule per tier that has slower tiers: it mutes them for the same `slo` and labels."""
    rules: list[dict[str, Any]] = []
    equal = ["slo", *sorted(service.labels)]
    for slo in service.slos:
        tiers = burn_tiers(service, slo)
        for index, faster in enumerate(tiers[:-1]):
            slower = "|".join(t.name for t in tiers[index + 1 :])
            rules.append(
                {
                    "source_matchers": [f'slo="{slo.name}"', f'burn_tier="{faster.name}"'],
                    "target_matchers": [f'slo="{slo.name}"', f'burn_tier=~"{slower}"'],
                    "equal": equal,
                }
            )
    return rules
