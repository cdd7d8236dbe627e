"""One validator per kind of target, and admission agrees with execution by construction."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sre.errors import PayloadError, UnsafeTarget
from sre.remediation import targets
from sre.remediation.action import Deps
from sre.remediation.actions.quarantine import Quarantine
from sre.remediation.deps import Stores
from sre.remediation.payload import parse
from sre.remediation.registry import default_registry
from sre.storage import LocalStore
from sre.storage.base import check_prefix

from .fakes import alert, deliver, make_engine, payload, policy


@pytest.mark.parametrize(
    "prefix",
    [
        "silver/participants\n",  # re.match with $ accepted a trailing newline
        "silver/_lineage",  # the pipeline's own bookkeeping
        "silver/_CURRENT.json",
        "silver/t/_delta_log/00000000000000000000.json",
        "silver/",  # all of silver is not a prefix of one table
        "silver",
        "silver//x",
        "silver/../bronze/",
        "silver/./x",
        "silver/x;rm -rf /",
        "silver/x y",
        "silver/ｘ",  # full-width letters are not ASCII
        "s3://other/silver/x",
        "/silver/x",
        "",
    ],
)
def test_a_quarantine_prefix_outside_one_silver_table_is_refused(prefix: str) -> None:
    with pytest.raises(UnsafeTarget):
        targets.silver_prefix(prefix)


@pytest.mark.parametrize(
    "prefix",
    ["silver/weight_daily/", "silver/weight_daily", "silver/t/month=2024-09/part-0.parquet"],
)
def test_a_plain_prefix_of_one_table_is_accepted_as_is(prefix: str) -> None:
    assert targets.silver_prefix(prefix) == prefix


@pytest.mark.parametrize(
    "label",
    ["2026-11-26\n", "2026-13-45", "2026-02-30", "26-11-2026", "latest\n", "２０２６-11-26"],
)
def test_a_backup_that_is_not_a_real_date_is_refused(label: str) -> None:
    with pytest.raises(UnsafeTarget):
        targets.backup_label(label)


def test_backups_are_real_dates_latest_or_pre_restore_copies() -> None:
    for label in ("2024-02-29", "latest", "pre-restore-abc-1"):
        assert targets.backup_label(label) == label
    with pytest.raises(UnsafeTarget):
        targets.backup_label("latest", latest=False)


@pytest.mark.parametrize("value", ["potato\n", "Potato", "-x", "a" * 64, "a b", "p;q", "ｐ", ""])
def test_a_name_with_anything_but_a_z_0_9_dash_underscore_is_refused(value: str) -> None:
    with pytest.raises(UnsafeTarget):
        targets.name(value, action="command")


def test_a_pipeline_label_with_a_newline_is_not_a_target_of_its_own(tmp_path: Path) -> None:
    per_pipeline = policy(params={"argv": ["true", "${pipeline}"], "labels": ["pipeline"]})
    engine = make_engine(tmp_path, per_pipeline)
    deliver(engine, payload(alert("f1", pipeline="potato")))
    with pytest.raises(PayloadError, match="forbidden character U\\+000A"):
        deliver(engine, payload(alert("f2", pipeline="potato\n")))  # no Prometheus sends it
    assert [r["target"] for r in engine.store.runs()] == ["pipeline=potato"]


@pytest.mark.parametrize("fingerprint", ["１２３", "ab\n", "a" * 65, "", "ab-cd", "xyz"])
def test_a_fingerprint_is_ascii_hex(fingerprint: str) -> None:
    with pytest.raises(PayloadError, match="fingerprint"):
        parse(payload(alert(fingerprint)))


def test_a_policy_whose_default_prefix_would_be_refused_is_a_spec_error() -> None:
    from sre.errors import SpecError

    with pytest.raises(SpecError, match=r"params\.prefix"):
        policy("PipelineDataCorrupted", "quarantine", params={"prefix": "silver/"})


# Anything an attacker (or a typo) can put in the `prefix` label, plus plausible prefixes.
PREFIXES = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda parts, tail: "silver/" + "/".join(parts) + tail,
        st.lists(st.text("ab_=.-/\n ;$x.", min_size=0, max_size=6), max_size=3),
        st.sampled_from(["", "/", "\n", ".."]),
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=st.one_of(st.none(), PREFIXES))
def test_no_accepted_alert_ends_without_a_decision_and_admission_agrees_with_execution(
    tmp_path_factory: pytest.TempPathFactory, prefix: str | None
) -> None:
    tmp = tmp_path_factory.mktemp("targets")
    stores = Stores(*(LocalStore(tmp / n, create=True) for n in ("lake", "quarantine", "backup")))
    engine = make_engine(
        tmp,
        policy("PipelineDataCorrupted", "quarantine"),
        registry=default_registry(),  # the real quarantine action, on real (empty) stores
        deps=Deps(stores=stores),
    )
    labels = {} if prefix is None else {"prefix": prefix}
    body = payload(alert("f1", name="PipelineDataCorrupted", **labels))
    try:
        admitted = Quarantine().target(labels, policy("PipelineDataCorrupted", "quarantine").params)
    except UnsafeTarget:
        admitted = None
    try:
        deliver(engine, body)
    except PayloadError:  # not a label problem: the payload itself is refused with a 400
        return
    decisions = [a for a in engine.store.audit() if a["fingerprint"] == "f1"]
    assert decisions, "an accepted alert ended without any recorded decision"
    runs = engine.store.runs()
    if admitted is None:
        assert [d["outcome"] for d in decisions] == ["refused_target"]
        assert decisions[0]["delivery"] is not None  # recorded at admission, with the delivery
        assert runs == []
    else:
        check_prefix(admitted)  # the store's own key check never disagrees either
        # Accepted at admission: execution never refuses the same target.
        assert [r["outcome"] for r in runs] == ["success"], decisions
        assert "refused_target" not in {d["outcome"] for d in decisions}
