"""A Kubernetes API client for the Kubernetes actions: in-cluster configuration when running in
a pod (the ServiceAccount's token), else the local kubeconfig. Built only when an action needs
it; tests pass their own `ApiClient` factory through `Deps.kubernetes`."""

from __future__ import annotations

from typing import Any

from sre.errors import RemediationError

__all__ = ["api_client", "api_error"]


def api_client() -> Any:
    from kubernetes import client, config

    try:
        config.load_incluster_config()
    except config.ConfigException:
        try:
            config.load_kube_config()
        except (config.ConfigException, OSError) as exc:
            raise RemediationError(f"no Kubernetes configuration: {exc}") from exc
    return client.ApiClient()


def api_error(exc: Any, *, action: str, target: str) -> RemediationError:
    """An ApiException as one line naming the status and reason."""
    return RemediationError(
        f"Kubernetes answered {exc.status} {exc.reason}", action=action, target=target
    )
