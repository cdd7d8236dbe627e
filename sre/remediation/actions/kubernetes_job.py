"""kubernetes-job: create a Job from a CronJob, as `kubectl create job --from=cronjob/NAME`.

The Job is the CronJob's job template with a unique name, the `instantiate: manual` annotation
and an owner reference (`job_manifest`, pure). The ServiceAccount needs `get` on cronjobs and
`create` on jobs, nothing else. Rerunning a batch job is the usual reason, so a policy may mark
it idempotent like a `command`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sre.errors import SpecError, UnsafeTarget
from sre.remediation import targets
from sre.remediation.action import BaseAction, Deps, Outcome, Param, Params, Plan, Step
from sre.remediation.kube import api_error

ACTION = "kubernetes-job"

__all__ = ["ACTION", "KubernetesJob", "create_job_from_cronjob", "job_manifest"]


def job_manifest(cronjob: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The Job `kubectl create job --from=cronjob/NAME` creates (pure)."""
    name = cronjob["metadata"]["name"]
    template = cronjob["spec"]["jobTemplate"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{name}-manual-{int(now.timestamp())}"[:63],
            "namespace": cronjob["metadata"].get("namespace", "default"),
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
            "labels": dict(template.get("metadata", {}).get("labels", {})),
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template["spec"],
    }


def create_job_from_cronjob(api: Any, namespace: str, cronjob: str, now: datetime) -> Outcome:
    """Read `cronjob`, create its Job through `api` (a kubernetes ApiClient)."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    batch = client.BatchV1Api(api)
    try:
        found = batch.read_namespaced_cron_job(cronjob, namespace)
        manifest = job_manifest(api.sanitize_for_serialization(found), now)
        created = batch.create_namespaced_job(namespace, manifest)
    except ApiException as exc:
        raise api_error(exc, action=ACTION, target=f"cronjob/{cronjob}") from exc
    name = created.metadata.name
    step = Step(
        "create_job", src=f"cronjob/{cronjob}", dst=f"job/{name}", detail={"namespace": namespace}
    )
    return Outcome(
        True,
        (step,),
        None,
        f"created job/{name} in {namespace}",
        evidence={"job": name, "namespace": namespace},
    )


class KubernetesJob(BaseAction):
    name = ACTION
    summary = "create a Job from a CronJob (kubectl create job --from=cronjob/NAME)"
    params = (
        Param("cronjob", "str", "the CronJob's name (the run's target)"),
        Param("namespace", "str", "its namespace", "default"),
        Param("idempotent", "bool", "safe to start again once after a restart of sre serve", False),
    )

    def check_params(self, params: Params, owner: str) -> None:
        for key in ("cronjob", "namespace"):
            try:
                targets.name(params[key], action=ACTION, what=key)
            except UnsafeTarget as exc:
                raise SpecError(str(exc), owner=owner, field=f"params.{key}") from exc

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        return targets.name(params["cronjob"], action=ACTION, what="cronjob")

    def restartable(self, params: Params) -> bool:
        return bool(params["idempotent"])

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        targets.name(target, action=ACTION, what="cronjob")
        step = Step(
            "create_job", src=f"cronjob/{target}", detail={"namespace": params["namespace"]}
        )
        return Plan(
            ACTION,
            target,
            (step,),
            (f"create a Job from cronjob/{target} in {params['namespace']}",),
        )

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        api = deps.need_kubernetes(ACTION)
        return create_job_from_cronjob(api, params["namespace"], plan.target, deps.now())
