"""A service spec for process-level tests: the pipeline's spec with a harmless rerun `command`
that appends a line to $SRE_TEST_MARKER, so a test can count real executions."""

from __future__ import annotations

import dataclasses
import sys

from pipeline.service import SERVICE as PIPELINE
from sre.spec.remediation import Limits

COUNT_RUN = (
    "import os, time; time.sleep(float(os.environ.get('SRE_TEST_SLEEP', '0.2'))); "
    "open(os.environ['SRE_TEST_MARKER'], 'a').write(str(os.getpid()) + '\\n')"
)

SERVICE = dataclasses.replace(
    PIPELINE,
    remediation=tuple(
        dataclasses.replace(
            policy,
            mode="auto",
            # One target per `pipeline` label, so tests can send several episodes at once.
            params={
                **policy.params,
                "argv": [sys.executable, "-c", COUNT_RUN, "${pipeline}"],
                "labels": ["pipeline"],
            },
            limits=Limits(cooldown=1, max_attempts_per_day=1000),
        )
        if policy.action == "command"
        else policy
        for policy in PIPELINE.remediation
    ),
)

# The same, but every rerun waits for a human (approved through `sre serve`'s API).
APPROVING = dataclasses.replace(
    SERVICE,
    remediation=tuple(
        dataclasses.replace(policy, mode="approve", approval_timeout=600)
        if policy.action == "command"
        else policy
        for policy in SERVICE.remediation
    ),
)

# The same, but nobody approves in time: a run expires 2 s after it was recorded.
EXPIRING = dataclasses.replace(
    APPROVING,
    remediation=tuple(
        dataclasses.replace(policy, approval_timeout=2) if policy.mode == "approve" else policy
        for policy in APPROVING.remediation
    ),
)
