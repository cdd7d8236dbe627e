"""retrigger: the spec's command as an argument list, never a shell; the Job kubectl would make."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sre.remediation.actions import retrigger


def test_the_plan_is_one_run_step_and_touches_nothing() -> None:
    plan = retrigger.plan(("potato-pipeline", "run"), "potato-pipeline", timeout=60)
    assert [s.op for s in plan.steps] == ["run"]
    assert plan.objects == 0 and plan.bytes == 0
    assert plan.steps[0].src == "potato-pipeline run"


def test_apply_succeeds_on_exit_zero_and_reports_the_tail_on_failure() -> None:
    assert retrigger.apply((sys.executable, "-c", "pass")).ok
    failed = retrigger.apply((sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"))
    assert not failed.ok and failed.detail.startswith("exit 3") and "boom" in failed.detail


def test_shell_metacharacters_are_arguments_not_commands() -> None:
    outcome = retrigger.apply(
        (sys.executable, "-c", "import sys; print(sys.argv[1])", "; touch /tmp/x")
    )
    assert outcome.ok  # the ';' reached the program as text: no shell ever saw it


def test_a_timeout_and_a_missing_program_are_clear_failures() -> None:
    assert (
        "timed out"
        in retrigger.apply((sys.executable, "-c", "import time; time.sleep(5)"), timeout=0.5).detail
    )
    assert "cannot start" in retrigger.apply(("/nonexistent/potato-pipeline", "run")).detail


def test_the_job_manifest_matches_kubectl_create_job_from_cronjob() -> None:
    cronjob = {
        "metadata": {"name": "potato-pipeline", "namespace": "data", "uid": "u-1"},
        "spec": {
            "jobTemplate": {"metadata": {"labels": {"app": "p"}}, "spec": {"backoffLimit": 1}}
        },
    }
    job = retrigger.job_manifest(cronjob, datetime(2026, 11, 26, tzinfo=UTC))
    assert job["metadata"]["name"] == "potato-pipeline-manual-1795651200"
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert job["spec"] == {"backoffLimit": 1}
