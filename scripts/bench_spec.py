"""The pipeline's spec with a rerun `command` that runs `true`: the webhook benchmark measures the
service, not the pipeline."""

from __future__ import annotations

import dataclasses
import shutil

from pipeline.service import SERVICE as PIPELINE
from sre.spec.remediation import Limits

TRUE = shutil.which("true") or "/bin/true"

SERVICE = dataclasses.replace(
    PIPELINE,
    remediation=tuple(
        dataclasses.replace(
            p,
            mode="auto",
            params={**p.params, "argv": [TRUE]},
            limits=Limits(cooldown=1, max_attempts_per_day=10**6),
        )
        if p.action == "command"
        else p
        for p in PIPELINE.remediation
    ),
)
