"""The stack's configs: the generated Alertmanager config, pointed at this stack, silent to
humans; Prometheus scraping the Pushgateway (pushed job kept) and `sre serve`."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.service import SERVICE
from sre.generate.alertmanager import alertmanager_standalone
from sre.stack.config import alertmanager_config, prometheus_config
from sre.stack.errors import StackError

REMEDIATOR = "potato-pipeline-sre-remediator"


def demo() -> dict[str, Any]:
    """The prod fragment (it has human receivers) merged into a minimal base."""
    env = SERVICE.environment("prod")
    return alertmanager_standalone(SERVICE.resolved(env), env)


def service_routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["route"]["routes"][0]["routes"]  # type: ignore[no-any-return]


def test_the_webhook_points_at_this_stack_with_its_token_file() -> None:
    config = alertmanager_config(demo(), webhook_url="http://127.0.0.1:1234/alertmanager",
                                 token_file="/tmp/x/token")  # fmt: skip
    receiver = next(r for r in config["receivers"] if r["name"] == REMEDIATOR)
    hook = receiver["webhook_configs"][0]
    assert hook["url"] == "http://127.0.0.1:1234/alertmanager"
    assert hook["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/tmp/x/token",
    }
    assert hook["send_resolved"] is True


def test_human_receivers_keep_their_routes_but_send_nothing() -> None:
    original = demo()
    config = alertmanager_config(original, webhook_url="http://h/a", token_file="t")
    humans = [r for r in config["receivers"] if r["name"] != REMEDIATOR]
    assert humans and all(set(r) == {"name"} for r in humans)
    assert [r.get("receiver") for r in service_routes(config)] == [
        r.get("receiver") for r in service_routes(original)
    ]
    assert original["receivers"][1] != {"name": original["receivers"][1]["name"]}  # not mutated


def test_the_remediation_route_flushes_every_second_unless_told_otherwise() -> None:
    fast = alertmanager_config(demo(), webhook_url="http://h/a", token_file="t")
    kept = alertmanager_config(
        demo(), webhook_url="http://h/a", token_file="t", group_interval=None
    )
    route = next(r for r in service_routes(fast) if r.get("receiver") == REMEDIATOR)
    assert route["group_interval"] == "1s"
    assert (
        next(r for r in service_routes(kept) if r.get("receiver") == REMEDIATOR)["group_interval"]
        == "1m"
    )


def test_a_config_without_the_remediation_receiver_is_refused() -> None:
    config = demo()
    config["receivers"] = [r for r in config["receivers"] if r["name"] != REMEDIATOR]
    with pytest.raises(StackError, match="no sre-remediator receiver"):
        alertmanager_config(config, webhook_url="http://h/a", token_file="t")


def test_prometheus_keeps_the_pushed_job_and_scrapes_the_remediator() -> None:
    config = prometheus_config(
        pushgateway="127.0.0.1:1", remediators=["127.0.0.1:2"], alertmanagers=["127.0.0.1:3"],
        rule_files=["/r/a.rules.yml"],
    )  # fmt: skip
    assert config["global"] == {"scrape_interval": "1s", "evaluation_interval": "1s"}
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["sre-remediator"]["static_configs"] == [{"targets": ["127.0.0.1:2"]}]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:3"]
    assert config["rule_files"] == ["/r/a.rules.yml"]
