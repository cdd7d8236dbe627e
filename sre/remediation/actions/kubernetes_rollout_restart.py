"""kubernetes-rollout-restart: what `kubectl rollout restart deployment/NAME` does.

kubectl patches the Deployment's pod template with the annotation
`kubectl.kubernetes.io/restartedAt: <now>` (a strategic merge patch); the changed template makes
the Deployment controller roll every pod, respecting the rollout strategy. This action sends
the same patch. The deployment comes from the policy, or from a label it names (validated).
The ServiceAccount needs `patch` on deployments, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sre.errors import SpecError, UnsafeTarget
from sre.remediation import targets
from sre.remediation.action import BaseAction, Deps, Outcome, Param, Params, Plan, Step
from sre.remediation.kube import api_error

ACTION = "kubernetes-rollout-restart"
ANNOTATION = "kubectl.kubernetes.io/restartedAt"

__all__ = ["ACTION", "ANNOTATION", "KubernetesRolloutRestart", "restart_patch"]


def restart_patch(now: datetime) -> dict[str, Any]:
    """The patch `kubectl rollout restart` sends (pure)."""
    stamp = now.isoformat(timespec="seconds")
    return {"spec": {"template": {"metadata": {"annotations": {ANNOTATION: stamp}}}}}


class KubernetesRolloutRestart(BaseAction):
    name = ACTION
    summary = "restart a Deployment's pods as kubectl rollout restart does"
    params = (
        Param("deployment", "str", "the Deployment, when no label names it", ""),
        Param("label", "str", "an alert label naming the Deployment (validated)", ""),
        Param("namespace", "str", "its namespace", "default"),
    )

    def check_params(self, params: Params, owner: str) -> None:
        if not params["deployment"] and not params["label"]:
            raise SpecError("give a deployment or a label", owner=owner, field="params")
        for key in ("deployment", "namespace"):
            if params[key]:
                try:
                    targets.name(params[key], action=ACTION, what=key)
                except UnsafeTarget as exc:
                    raise SpecError(str(exc), owner=owner, field=f"params.{key}") from exc

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        value = (labels.get(params["label"]) if params["label"] else None) or params["deployment"]
        if not value:
            raise UnsafeTarget(
                f"the alert has no {params['label']!r} label", action=ACTION, target="-"
            )
        return targets.name(value, action=ACTION, what="deployment")

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        targets.name(target, action=ACTION, what="deployment")
        namespace = params["namespace"]
        step = Step(
            "patch",
            src=f"deployment/{target}",
            detail={"namespace": namespace, "annotation": ANNOTATION},
        )
        return Plan(
            ACTION, target, (step,), (f"rollout restart deployment/{target} in {namespace}",)
        )

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        from kubernetes import client
        from kubernetes.client.rest import ApiException

        api = deps.need_kubernetes(ACTION)
        namespace, now = params["namespace"], deps.now()
        try:
            client.AppsV1Api(api).patch_namespaced_deployment(
                plan.target, namespace, restart_patch(now), _preload_content=False
            )
        except ApiException as exc:
            raise api_error(exc, action=ACTION, target=f"deployment/{plan.target}") from exc
        step = Step("patch", src=f"deployment/{plan.target}", detail={"namespace": namespace})
        return Outcome(
            True,
            (step,),
            None,
            f"deployment/{plan.target} restarted in {namespace}",
            evidence={"restartedAt": now.isoformat(timespec="seconds")},
        )
