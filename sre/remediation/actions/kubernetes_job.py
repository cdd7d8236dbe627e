"""retrigger on Kubernetes: create a Job from the pipeline's CronJob, as
`kubectl create job --from=cronjob/NAME NAME-manual-<time>` does.

The manifest is built by the pure `retrigger.job_manifest`; this module only reads the CronJob
and creates the Job through a kubernetes `ApiClient` passed in (in-cluster or kubeconfig
configuration is the caller's business), so the ServiceAccount needs `get` on cronjobs and
`create` on jobs, nothing else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sre.errors import RemediationError
from sre.remediation.actions import retrigger
from sre.remediation.actions.base import Outcome, Step


def create_job_from_cronjob(api: Any, namespace: str, cronjob: str, now: datetime) -> Outcome:
    """Read `cronjob`, create its Job; Outcome carries the Job's name."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    batch = client.BatchV1Api(api)
    try:
        found = batch.read_namespaced_cron_job(cronjob, namespace)
        manifest = retrigger.job_manifest(api.sanitize_for_serialization(found), now)
        created = batch.create_namespaced_job(namespace, manifest)
    except ApiException as exc:
        raise RemediationError(
            f"Kubernetes answered {exc.status} {exc.reason}",
            action="retrigger",
            target=f"cronjob/{cronjob}",
        ) from exc
    name = created.metadata.name
    step = Step(
        op="create_job",
        src=f"cronjob/{cronjob}",
        dst=f"job/{name}",
        detail={"namespace": namespace},
    )
    return Outcome(True, done=(step,), detail=f"created job/{name} in {namespace}")
