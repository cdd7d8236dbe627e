"""An environment may carry its own remediation policies: the demo acts alone, prod asks."""

from __future__ import annotations

from pipeline.service import REMEDIATION, SERVICE


def policies(env: str) -> list[tuple[str, str, str]]:
    resolved = SERVICE.resolved(SERVICE.environment(env))
    return [(p.alertname, p.action, p.mode) for p in resolved.remediation]


def test_prod_keeps_the_service_policies() -> None:
    assert SERVICE.resolved(SERVICE.environment("prod")).remediation == REMEDIATION
    assert ("PipelineDataCorrupted", "quarantine", "approve") in policies("prod")


def test_demo_acts_alone_and_repairs_corruption_in_order() -> None:
    found = policies("demo")
    assert {mode for _, _, mode in found} == {"auto"}
    assert [action for name, action, _ in found if name == "PipelineDataCorrupted"] == [
        "quarantine",
        "restore",
        "command",
    ]
