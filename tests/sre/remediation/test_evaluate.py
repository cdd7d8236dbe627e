"""`evaluate` decides in pure code; each case below reads as the sentence it checks."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from sre.remediation.evaluate import Facts, KeyFacts, evaluate
from sre.remediation.payload import parse_alert
from sre.remediation.registry import default_registry

from .fakes import alert, policy

NOW = 1_800_000_000.0
KEY = ("command", "pipeline")


def facts(**given: object) -> Facts:
    key = given.pop("key", KeyFacts())
    return Facts(now=NOW, keys=MappingProxyType({KEY: key}), **given)  # type: ignore[arg-type]


CASES = [
    ("a firing alert with an auto policy acts", policy(), facts(), "act"),
    (
        "a dry_run policy records a run and acts on nothing",
        policy(mode="dry_run"),
        facts(),
        "dry_run",
    ),
    ("an approve policy waits for a human", policy(mode="approve"), facts(), "awaiting_approval"),
    ("an off policy does nothing", policy(mode="off"), facts(), "off"),
    (
        "the global kill switch pauses every action",
        policy(),
        facts(paused=frozenset("*")),
        "paused",
    ),
    (
        "the kill switch of the action pauses it",
        policy(),
        facts(paused=frozenset({"command"})),
        "paused",
    ),
    (
        "another action's kill switch does not",
        policy(),
        facts(paused=frozenset({"restore"})),
        "act",
    ),
    (
        "a stale copy of a resolved episode is a duplicate",
        policy(),
        facts(stale=True),
        "skipped_duplicate",
    ),
    (
        "an episode that already has a run is a duplicate",
        policy(),
        facts(key=KeyFacts(episode_has_run=True)),
        "skipped_duplicate",
    ),
    (
        "a duplicate is a duplicate even in dry_run mode",
        policy(mode="dry_run"),
        facts(key=KeyFacts(episode_has_run=True)),
        "skipped_duplicate",
    ),
    (
        "a period a successful run of the same work finished in is covered, past any cooldown",
        policy(cooldown=0),
        facts(key=KeyFacts(last_run_at=NOW - 700, covered_by=7)),
        "skipped_duplicate",
    ),
    ("an open circuit blocks", policy(), facts(key=KeyFacts(circuit_open=True)), "blocked_circuit"),
    (
        "a run within the cooldown is skipped",
        policy(cooldown=600),
        facts(key=KeyFacts(last_run_at=NOW - 100)),
        "skipped_cooldown",
    ),
    (
        "a run of the same action and target in progress is not repeated, even with no cooldown",
        policy(cooldown=0),
        facts(key=KeyFacts(last_run_at=NOW - 700, in_progress=True)),
        "skipped_cooldown",
    ),
    (
        "a run after the cooldown acts",
        policy(cooldown=600),
        facts(key=KeyFacts(last_run_at=NOW - 700)),
        "act",
    ),
    (
        "the spent daily budget blocks and opens the circuit",
        policy(max_attempts_per_day=2),
        facts(key=KeyFacts(attempts_today=2)),
        "blocked_circuit",
    ),
    (
        "the global rate limit blocks a run that would act",
        policy(),
        facts(started_last_minute=30),
        "blocked_rate_limit",
    ),
    (
        "the rate limit does not block a dry run",
        policy(mode="dry_run"),
        facts(started_last_minute=30),
        "dry_run",
    ),
]


@pytest.mark.parametrize(
    ("sentence", "chosen", "known", "outcome"), CASES, ids=[c[0] for c in CASES]
)
def test_evaluate(sentence: str, chosen: object, known: Facts, outcome: str) -> None:
    [verdict] = evaluate(parse_alert(alert()), [chosen], known, default_registry())  # type: ignore[list-item]
    assert verdict.outcome == outcome, sentence
    assert verdict.opens_circuit == ("opens the circuit" in sentence)


def test_an_alert_no_policy_selects_is_recorded_as_such() -> None:
    [verdict] = evaluate(parse_alert(alert(name="Other")), [policy()], facts(), default_registry())
    assert (verdict.outcome, verdict.policy) == ("no_policy", None)


def test_matchers_must_all_be_equal() -> None:
    from dataclasses import replace

    scoped = replace(policy(), matchers={"severity": "critical"})
    [verdict] = evaluate(parse_alert(alert()), [scoped], facts(), default_registry())
    assert verdict.outcome == "no_policy"


def test_a_refused_target_names_what_was_refused_and_the_others_still_decide() -> None:
    quarantine = policy("PipelineDataStale", "quarantine")
    found = evaluate(
        parse_alert(alert(prefix="silver/_CURRENT.json")),
        [quarantine, policy()],
        facts(),
        default_registry(),
    )
    assert [v.outcome for v in found] == ["refused_target", "act"]
    assert found[0].target == "silver/_CURRENT.json" and "pointer" in found[0].reason


def test_two_acting_policies_count_against_the_rate_limit_together() -> None:
    other = policy(params={"argv": ["true"], "target": "other"})
    found = evaluate(
        parse_alert(alert()), [policy(), other], facts(started_last_minute=29), default_registry()
    )
    assert [v.outcome for v in found] == ["act", "blocked_rate_limit"]


def test_evaluate_reads_nothing_but_its_arguments() -> None:
    known = facts()
    assert evaluate(parse_alert(alert()), [policy()], known, default_registry()) == evaluate(
        parse_alert(alert()), [policy()], known, default_registry()
    )
