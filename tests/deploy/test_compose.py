"""The compose stack: schema, pinned images, loopback-only ports, health checks, and the
generated configs it mounts (no drift from `sre generate --env compose`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pipeline.service import SERVICE
from sre.cli.generate import read_content, render
from tests.deploy.conftest import DOCKER, ROOT

GENERATED = DOCKER / "generated"
REQUIRED = {
    "potato-pipeline",
    "sre-remediator",
    "prometheus",
    "alertmanager",
    "pushgateway",
    "grafana",
    "loki",
    "alloy",
    "otel-collector",
    "marquez-api",
    "marquez-web",
    "marquez-db",
    "seaweedfs",
    "postgres",
}
# Services without a health check, and why (also said beside each in the compose file).
NO_HEALTHCHECK = {
    "alloy": "nothing waits on the log shipper; its image has no HTTP client",
    "otel-collector": "distroless image: no shell or client; health_check extension on 13133",
    "s3-init": "one-shot job; dependents wait for its successful completion",
    "seed-lake": "one-shot job, run by hand",
    "potato-vacuum": "a weekly maintenance loop that serves nothing; nothing waits on it",
}


def _published(compose: dict[str, Any]) -> dict[str, dict[int, int]]:
    """service -> {host port: container port}."""
    found: dict[str, dict[int, int]] = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            host_ip, host, container = str(port).split(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"
            first, _, last = host.partition("-")  # a range: one host port per replica
            for each in range(int(first), int(last or first) + 1):
                found.setdefault(name, {})[each] = int(container)
    return found


def test_compose_file_matches_the_compose_specification() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.compose-spec", str(DOCKER / "docker-compose.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_component_of_the_stack_is_a_service(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= REQUIRED


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        if "build" in service:  # the project's own image, built from this checkout
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest" and re.search(r"\d", tag), f"{name}: {image}"


def test_ports_bind_loopback_only_and_never_collide(compose: dict[str, Any]) -> None:
    hosts = [p for ports in _published(compose).values() for p in ports]
    assert len(hosts) == len(set(hosts))
    # The runbook's collisions, fixed: Grafana 3000 vs Marquez web; Marquez API vs MLflow 5000.
    published = _published(compose)
    assert published["grafana"] == {3000: 3000}
    assert published["marquez-web"] == {3001: 3000}
    assert 5000 not in hosts
    assert published["otel-collector"][4318] == 4318  # OTLP over HTTP; 4317 is gRPC only


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    named = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, _target, *mode = volume.split(":")
            if source.startswith(("./", "/")):
                # Bind mounts carry configuration only, read-only.
                assert mode == ["ro"], f"{name}: {volume} must be read-only"
            else:
                assert source in named, f"{name}: {source} is not a named volume"


def test_health_checks_and_dependency_conditions(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert ("healthcheck" in service) != (name in NO_HEALTHCHECK), name
        for dependency, how in service.get("depends_on", {}).items():
            condition = how["condition"]
            expected = {
                **{n: "service_started" for n in NO_HEALTHCHECK},
                "s3-init": "service_completed_successfully",
            }.get(dependency, "service_healthy")
            assert condition == expected, f"{name} -> {dependency}: {condition}"


def test_remediator_uses_postgres_state_and_a_token_file(compose: dict[str, Any]) -> None:
    service = compose["services"]["sre-remediator"]
    assert service["environment"]["SRE_STATE"].startswith("postgresql://")
    assert (
        "@" in service["environment"]["SRE_STATE"]
        and ":"
        not in (service["environment"]["SRE_STATE"].removeprefix("postgresql://").split("@")[0])
    ), "no password in the state URL"
    command = service["command"]
    assert command[command.index("--token-file") + 1] == "/run/secrets/sre-remediator-token"
    assert "sre-remediator-token" in service["secrets"]


def test_pipeline_runs_on_a_schedule_and_serves_metrics(compose: dict[str, Any]) -> None:
    command = compose["services"]["potato-pipeline"]["command"]
    assert command[:2] == ["potato-pipeline", "run"] and "--every" in command
    assert command[command.index("--metrics-host") + 1] == "0.0.0.0"


def test_generated_configs_have_not_drifted() -> None:
    files = render("pipeline.service:SERVICE", "compose", read_content(ROOT / "runbooks"))
    differs = [
        p
        for p, text in files.items()
        if not (GENERATED / p).is_file() or (GENERATED / p).read_text(encoding="utf-8") != text
    ]
    assert not differs, f"run `sre generate --env compose --out docker/generated`: {differs}"


def test_alertmanager_delivers_to_the_webhook_service(compose: dict[str, Any]) -> None:
    env = SERVICE.environment("compose")
    url = urlsplit(env.webhook_url)
    assert url.hostname == "sre-remediator" and url.path == "/alertmanager"
    command = compose["services"]["sre-remediator"]["command"]
    assert url.port == int(command[command.index("--port") + 1])


def test_prometheus_scrapes_what_the_issue_names() -> None:
    import yaml

    config = yaml.safe_load((DOCKER / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["potato-pipeline"]["static_configs"][0]["targets"] == ["potato-pipeline:9108"]
    # every replica of the remediator, and every Alertmanager peer
    assert jobs["sre-remediator"]["dns_sd_configs"][0] == {
        "names": ["sre-remediator"],
        "type": "A",
        "port": 9095,
    }
    peers = ["alertmanager:9093", "alertmanager-2:9093", "alertmanager-3:9093"]
    assert jobs["alertmanager"]["static_configs"][0]["targets"] == peers
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == peers
    assert config["global"]["external_labels"]["replica"] == "1"
    assert config["alerting"]["alert_relabel_configs"] == [
        {"action": "labeldrop", "regex": "replica"}
    ]


LOCAL_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1):(\d+)")


def _service_on(compose: dict[str, Any], port: int) -> str | None:
    return next((s for s, ports in _published(compose).items() if port in ports), None)


@pytest.mark.parametrize(
    ("field", "service"), [("grafana_url", "grafana"), ("site_url", "runbooks")]
)
def test_compose_environment_urls_use_the_compose_ports(
    compose: dict[str, Any], field: str, service: str
) -> None:
    url = urlsplit(getattr(SERVICE.environment("compose"), field))
    assert url.hostname == "127.0.0.1" and _service_on(compose, url.port or 80) == service


def test_runbook_pages_only_link_to_ports_the_stack_publishes(compose: dict[str, Any]) -> None:
    pages = [*GENERATED.rglob("*.md"), *(ROOT / "runbooks").glob("*/*.md")]
    for page in pages:
        for port in LOCAL_URL.findall(page.read_text(encoding="utf-8")):
            assert _service_on(compose, int(port)), f"{page}: no compose service on port {port}"


def test_readme_port_table_lists_every_published_port(compose: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    deploy = readme[readme.index("## Deploy") :]
    deploy = deploy[: deploy.index("\n## ", 1)]
    listed = {int(p) for p in re.findall(r"^\| `?(\d+)`? \|", deploy, flags=re.M)}
    published = {p for ports in _published(compose).values() for p in ports}
    assert published <= listed, f"missing from README: {sorted(published - listed)}"
