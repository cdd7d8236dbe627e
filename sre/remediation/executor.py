"""Runs the actions the engine decided on, with the stores and commands of this deployment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sre.errors import RemediationError
from sre.remediation.actions import retrigger
from sre.remediation.actions.base import Outcome, Plan, Stores, Verification
from sre.remediation.clients import PrometheusCheck
from sre.remediation.payload import Alert
from sre.spec.remediation import RemediationPolicy


@dataclass
class ActionExecutor:
    """`stores` may be None when only retrigger is in use; data actions then refuse clearly."""

    stores: Stores | None = None
    env: Mapping[str, str] | None = None
    timeout: float = retrigger.TIMEOUT
    prometheus: PrometheusCheck | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def _stores(self, action: str) -> Stores:
        if self.stores is None:
            raise RemediationError(
                "no lake, quarantine and backup locations (--lake, --quarantine, --backup)",
                action=action,
                target="",
            )
        return self.stores

    def plan(self, policy: RemediationPolicy, target: str, alert: Alert, incident: str) -> Plan:
        if policy.action == "retrigger":
            return retrigger.plan(policy.command, target, timeout=self.timeout)
        if policy.action == "quarantine":
            from sre.remediation.actions import quarantine

            stores = self._stores("quarantine")
            return quarantine.plan(target, quarantine.inventory(stores, target), incident=incident)
        if policy.action == "restore":
            from sre.remediation.actions import restore

            return restore.plan_from(self._stores("restore"), target, incident=incident)
        raise RemediationError(
            f"unknown action {policy.action}", action=policy.action, target=target
        )

    def apply(self, policy: RemediationPolicy, plan: Plan, incident: str) -> Outcome:
        now = datetime.now(UTC)
        if policy.action == "retrigger" and policy.params.get("backend") == "kubernetes":
            outcome = self._kubernetes_job(policy, now)
        elif policy.action == "retrigger":
            outcome = retrigger.apply(policy.command, timeout=self.timeout, env=self.env)
        elif policy.action == "quarantine":
            from sre.remediation.actions import quarantine

            outcome = quarantine.apply(plan, self._stores("quarantine"), incident=incident, now=now)
        else:
            from sre.remediation.actions import restore

            outcome = restore.apply(plan, self._stores("restore"), incident=incident, now=now)
        self.outcomes[incident] = outcome
        return outcome

    def _kubernetes_job(self, policy: RemediationPolicy, now: datetime) -> Outcome:
        """In-cluster configuration when running in a pod, else the local kubeconfig."""
        from kubernetes import client, config

        from sre.remediation.actions.kubernetes_job import create_job_from_cronjob

        try:
            config.load_incluster_config()
        except config.ConfigException:
            config.load_kube_config()
        namespace = policy.params.get("namespace", "default")
        return create_job_from_cronjob(
            client.ApiClient(), namespace, policy.params.get("cronjob", "potato-pipeline"), now
        )

    def verify(self, policy: RemediationPolicy, plan: Plan, alert: Alert) -> Verification:
        if policy.action == "retrigger":
            if self.prometheus is None:
                return Verification(
                    True, "the pipeline exited 0 (no Prometheus configured to confirm)"
                )
            return Verification(*self.prometheus.cleared(alert))
        if policy.action == "quarantine":
            from sre.remediation.actions import quarantine

            return quarantine.verify(plan, self._stores("quarantine"))
        from sre.remediation.actions import restore

        return restore.verify(plan, self._stores("restore"))

    def undo(self, action: str, record: Mapping[str, object]) -> Outcome:
        if action == "quarantine":
            from sre.remediation.actions import quarantine

            return quarantine.undo(record, self._stores("quarantine"))
        if action == "restore":
            from sre.remediation.actions import restore

            return restore.undo(record, self._stores("restore"))
        raise RemediationError("a pipeline run cannot be undone", action=action, target="")
